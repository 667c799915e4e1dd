package readeval

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/idv-oss/idv/document/mrz"
)

// RandomMRZ makes a random but well-formed MRZ (valid check digits, the
// fictional state UTO) of the given line length: 30 (TD1), 36 (TD2) or 44
// (TD3). Names and numbers are random letters and digits, so every
// character of the alphabet turns up.
func RandomMRZ(rng *rand.Rand, length int) []string {
	letters := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('A' + rng.IntN(26))
		}
		return string(b)
	}
	alnum := func(n int) string {
		const set = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		b := make([]byte, n)
		for i := range b {
			b[i] = set[rng.IntN(len(set))]
		}
		return string(b)
	}
	date := func() string {
		return fmt.Sprintf("%02d%02d%02d", rng.IntN(100), 1+rng.IntN(12), 1+rng.IntN(28))
	}
	check := func(parts ...string) string {
		d, ok := mrz.CheckDigit(strings.Join(parts, ""))
		if !ok {
			panic("readeval: RandomMRZ: bad character in " + strings.Join(parts, ""))
		}
		return string(d)
	}
	pad := func(s string, n int) string { return (s + strings.Repeat("<", n))[:n] }
	name := func(n int) string {
		return pad(letters(3+rng.IntN(8))+"<<"+letters(3+rng.IntN(6))+"<"+letters(2+rng.IntN(6)), n)
	}
	sex := string("MF<"[rng.IntN(3)])
	number, birth, expiry := alnum(9), date(), date()
	switch length {
	case 30:
		opt1, opt2 := pad(alnum(rng.IntN(15)), 15), pad(alnum(rng.IntN(11)), 11)
		l1 := "I<UTO" + number + check(number) + opt1
		l2 := birth + check(birth) + sex + expiry + check(expiry) + "UTO" + opt2
		l2 += check(l1[5:30], l2[0:7], l2[8:15], l2[18:29])
		return []string{l1, l2, name(30)}
	case 36:
		opt := pad(alnum(rng.IntN(7)), 7)
		l2 := number + check(number) + "UTO" + birth + check(birth) + sex + expiry + check(expiry) + opt
		l2 += check(l2[0:10], l2[13:20], l2[21:35])
		return []string{"I<UTO" + name(31), l2}
	default:
		personal := pad(alnum(rng.IntN(15)), 14)
		l2 := number + check(number) + "UTO" + birth + check(birth) + sex + expiry + check(expiry) + personal + check(personal)
		l2 += check(l2[0:10], l2[13:20], l2[21:43])
		return []string{"P<UTO" + name(39), l2}
	}
}
