package chip

import (
	"crypto/elliptic"
	"encoding/asn1"
	"math/big"
)

// curve is a short Weierstrass curve y² = x³ + ax + b over GF(p) with a
// base point of prime order n and cofactor 1. Its arithmetic (Jacobian
// coordinates on math/big, any a) serves signature verification only: the
// inputs are public, so it is neither constant-time nor fit for signing.
//
// NIST curves are verified with crypto/ecdsa; nist links them so that keys
// with explicit parameters equal to a NIST curve's are recognised.
type curve struct {
	name         string
	oid          asn1.ObjectIdentifier
	p, a, b      *big.Int
	gx, gy, n    *big.Int
	nist         elliptic.Curve // nil for brainpool
	byteLen      int            // bytes of a field element
	orderByteLen int            // bytes of a scalar
}

// hexInt reads a curve constant; TestCurveParameters proves the tables
// below (a typo leaves a nil that the test trips over).
func hexInt(s string) *big.Int {
	n, _ := new(big.Int).SetString(s, 16)
	return n
}

func newCurve(name string, oid asn1.ObjectIdentifier, p, a, b, gx, gy, n *big.Int, nist elliptic.Curve) *curve {
	return &curve{name: name, oid: oid, p: p, a: a, b: b, gx: gx, gy: gy, n: n, nist: nist,
		byteLen: (p.BitLen() + 7) / 8, orderByteLen: (n.BitLen() + 7) / 8}
}

func brainpool(name string, oid asn1.ObjectIdentifier, p, a, b, gx, gy, n string) *curve {
	return newCurve(name, oid, hexInt(p), hexInt(a), hexInt(b), hexInt(gx), hexInt(gy), hexInt(n), nil)
}

func nistCurve(name string, oid asn1.ObjectIdentifier, c elliptic.Curve) *curve {
	ps := c.Params()
	a := new(big.Int).Sub(ps.P, big.NewInt(3))
	return newCurve(name, oid, ps.P, a, ps.B, ps.Gx, ps.Gy, ps.N, c)
}

// knownCurves are the curves keys may use, by named OID or by explicit
// parameters equal to one of them. Read-only after package initialisation.
var knownCurves = []*curve{
	nistCurve("P-256", asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}, elliptic.P256()),
	nistCurve("P-384", asn1.ObjectIdentifier{1, 3, 132, 0, 34}, elliptic.P384()),
	nistCurve("P-521", asn1.ObjectIdentifier{1, 3, 132, 0, 35}, elliptic.P521()),
	// RFC 5639, section 3.
	brainpool("brainpoolP256r1", asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7},
		"A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377",
		"7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9",
		"26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6",
		"8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262",
		"547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997",
		"A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7"),
	brainpool("brainpoolP384r1", asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 11},
		"8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B412B1DA197FB71123ACD3A729901D1A71874700133107EC53",
		"7BC382C63D8C150C3C72080ACE05AFA0C2BEA28E4FB22787139165EFBA91F90F8AA5814A503AD4EB04A8C7DD22CE2826",
		"04A8C7DD22CE28268B39B55416F0447C2FB77DE107DCD2A62E880EA53EEB62D57CB4390295DBC9943AB78696FA504C11",
		"1D1C64F068CF45FFA2A63A81B7C13F6B8847A3E77EF14FE3DB7FCAFE0CBD10E8E826E03436D646AAEF87B2E247D4AF1E",
		"8ABE1D7520F9C2A45CB1EB8E95CFD55262B70B29FEEC5864E19C054FF99129280E4646217791811142820341263C5315",
		"8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565"),
	brainpool("brainpoolP512r1", asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 13},
		"AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA703308717D4D9B009BC66842AECDA12AE6A380E62881FF2F2D82C68528AA6056583A48F3",
		"7830A3318B603B89E2327145AC234CC594CBDD8D3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CA",
		"3DF91610A83441CAEA9863BC2DED5D5AA8253AA10A2EF1C98B9AC8B57F1117A72BF2C7B9E7C1AC4D77FC94CADC083E67984050B75EBAE5DD2809BD638016F723",
		"81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098EFF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822",
		"7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892",
		"AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069"),
}

// curveByOID finds a known curve by its named-curve OID.
func curveByOID(oid asn1.ObjectIdentifier) *curve {
	for _, c := range knownCurves {
		if c.oid.Equal(oid) {
			return c
		}
	}
	return nil
}

// curveByParams finds the known curve with exactly these parameters.
func curveByParams(p, a, b, gx, gy, n *big.Int) *curve {
	for _, c := range knownCurves {
		if c.p.Cmp(p) == 0 && c.a.Cmp(a) == 0 && c.b.Cmp(b) == 0 &&
			c.gx.Cmp(gx) == 0 && c.gy.Cmp(gy) == 0 && c.n.Cmp(n) == 0 {
			return c
		}
	}
	return nil
}

// onCurve reports whether (x, y) is a point of c with coordinates in range.
func (c *curve) onCurve(x, y *big.Int) bool {
	if x.Sign() < 0 || x.Cmp(c.p) >= 0 || y.Sign() < 0 || y.Cmp(c.p) >= 0 {
		return false
	}
	yy := new(big.Int).Mul(y, y)
	return yy.Mod(yy, c.p).Cmp(c.rhs(x)) == 0
}

// rhs is x³ + ax + b mod p.
func (c *curve) rhs(x *big.Int) *big.Int {
	r := new(big.Int).Mul(x, x)
	r.Add(r, c.a)
	r.Mul(r, x)
	r.Add(r, c.b)
	return r.Mod(r, c.p)
}

// decodePoint reads an uncompressed (04‖X‖Y) or compressed (02/03‖X) point
// and checks that it lies on c and is not the point at infinity.
func (c *curve) decodePoint(b []byte) (x, y *big.Int, ok bool) {
	switch {
	case len(b) == 1+2*c.byteLen && b[0] == 4:
		x = new(big.Int).SetBytes(b[1 : 1+c.byteLen])
		y = new(big.Int).SetBytes(b[1+c.byteLen:])
	case len(b) == 1+c.byteLen && (b[0] == 2 || b[0] == 3):
		x = new(big.Int).SetBytes(b[1:])
		if x.Cmp(c.p) >= 0 {
			return nil, nil, false
		}
		y = new(big.Int).ModSqrt(c.rhs(x), c.p)
		if y == nil {
			return nil, nil, false
		}
		if y.Bit(0) != uint(b[0]&1) {
			y.Sub(c.p, y)
		}
	default:
		return nil, nil, false
	}
	return x, y, c.onCurve(x, y)
}

// jacobian is a point (X/Z², Y/Z³); Z = 0 is the point at infinity.
type jacobian struct{ x, y, z *big.Int }

func (c *curve) mod(v *big.Int) *big.Int { return v.Mod(v, c.p) }

func (c *curve) double(q jacobian) jacobian {
	if q.z.Sign() == 0 || q.y.Sign() == 0 {
		return jacobian{new(big.Int), new(big.Int), new(big.Int)}
	}
	xx := c.mod(new(big.Int).Mul(q.x, q.x))
	yy := c.mod(new(big.Int).Mul(q.y, q.y))
	yyyy := c.mod(new(big.Int).Mul(yy, yy))
	zz := c.mod(new(big.Int).Mul(q.z, q.z))
	s := c.mod(new(big.Int).Lsh(new(big.Int).Mul(q.x, yy), 2))
	m := new(big.Int).Mul(xx, big.NewInt(3))
	m.Add(m, new(big.Int).Mul(c.a, c.mod(new(big.Int).Mul(zz, zz))))
	c.mod(m)
	x3 := new(big.Int).Mul(m, m)
	x3.Sub(x3, new(big.Int).Lsh(s, 1))
	c.mod(x3)
	y3 := new(big.Int).Sub(s, x3)
	y3.Mul(y3, m)
	y3.Sub(y3, new(big.Int).Lsh(yyyy, 3))
	c.mod(y3)
	z3 := new(big.Int).Mul(q.y, q.z)
	z3.Lsh(z3, 1)
	c.mod(z3)
	return jacobian{x3, y3, z3}
}

func (c *curve) add(p, q jacobian) jacobian {
	if p.z.Sign() == 0 {
		return q
	}
	if q.z.Sign() == 0 {
		return p
	}
	z1z1 := c.mod(new(big.Int).Mul(p.z, p.z))
	z2z2 := c.mod(new(big.Int).Mul(q.z, q.z))
	u1 := c.mod(new(big.Int).Mul(p.x, z2z2))
	u2 := c.mod(new(big.Int).Mul(q.x, z1z1))
	s1 := c.mod(new(big.Int).Mul(p.y, c.mod(new(big.Int).Mul(q.z, z2z2))))
	s2 := c.mod(new(big.Int).Mul(q.y, c.mod(new(big.Int).Mul(p.z, z1z1))))
	if u1.Cmp(u2) == 0 {
		if s1.Cmp(s2) == 0 {
			return c.double(p)
		}
		return jacobian{new(big.Int), new(big.Int), new(big.Int)}
	}
	h := c.mod(new(big.Int).Sub(u2, u1))
	r := c.mod(new(big.Int).Sub(s2, s1))
	hh := c.mod(new(big.Int).Mul(h, h))
	hhh := c.mod(new(big.Int).Mul(h, hh))
	v := c.mod(new(big.Int).Mul(u1, hh))
	x3 := new(big.Int).Mul(r, r)
	x3.Sub(x3, hhh)
	x3.Sub(x3, new(big.Int).Lsh(v, 1))
	c.mod(x3)
	y3 := new(big.Int).Sub(v, x3)
	y3.Mul(y3, r)
	y3.Sub(y3, new(big.Int).Mul(s1, hhh))
	c.mod(y3)
	z3 := new(big.Int).Mul(p.z, q.z)
	z3.Mul(z3, h)
	c.mod(z3)
	return jacobian{x3, y3, z3}
}

// affineX returns the affine x of q, or nil for the point at infinity.
func (c *curve) affineX(q jacobian) *big.Int {
	if q.z.Sign() == 0 {
		return nil
	}
	zinv := new(big.Int).ModInverse(q.z, c.p)
	zinv2 := c.mod(new(big.Int).Mul(zinv, zinv))
	return c.mod(new(big.Int).Mul(q.x, zinv2))
}

// combinedMult computes u1·G + u2·(qx, qy) with Shamir's trick.
func (c *curve) combinedMult(u1, u2, qx, qy *big.Int) jacobian {
	one := big.NewInt(1)
	g := jacobian{c.gx, c.gy, one}
	q := jacobian{qx, qy, one}
	gq := c.add(g, q)
	acc := jacobian{new(big.Int), new(big.Int), new(big.Int)}
	bits := max(u1.BitLen(), u2.BitLen())
	for i := bits - 1; i >= 0; i-- {
		acc = c.double(acc)
		switch {
		case u1.Bit(i) == 1 && u2.Bit(i) == 1:
			acc = c.add(acc, gq)
		case u1.Bit(i) == 1:
			acc = c.add(acc, g)
		case u2.Bit(i) == 1:
			acc = c.add(acc, q)
		}
	}
	return acc
}

// verifyECDSA checks an ECDSA signature (r, s) over digest with the public
// point (qx, qy), which the caller has checked lies on c.
func (c *curve) verifyECDSA(qx, qy *big.Int, digest []byte, r, s *big.Int) bool {
	if r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(c.n) >= 0 || s.Cmp(c.n) >= 0 {
		return false
	}
	e := hashToInt(digest, c.n)
	w := new(big.Int).ModInverse(s, c.n)
	if w == nil {
		return false
	}
	u1 := new(big.Int).Mul(e, w)
	u1.Mod(u1, c.n)
	u2 := new(big.Int).Mul(r, w)
	u2.Mod(u2, c.n)
	x := c.affineX(c.combinedMult(u1, u2, qx, qy))
	if x == nil {
		return false
	}
	return x.Mod(x, c.n).Cmp(r) == 0
}

// hashToInt takes the leftmost bits of digest, as many as n has (SEC 1,
// 4.1.4 step 5).
func hashToInt(digest []byte, n *big.Int) *big.Int {
	orderBits := n.BitLen()
	orderBytes := (orderBits + 7) / 8
	if len(digest) > orderBytes {
		digest = digest[:orderBytes]
	}
	e := new(big.Int).SetBytes(digest)
	if excess := len(digest)*8 - orderBits; excess > 0 {
		e.Rsh(e, uint(excess))
	}
	return e
}
