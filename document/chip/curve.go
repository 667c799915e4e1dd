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
type jacobian struct{ x, y, z big.Int }

// arith does point arithmetic on one curve with reusable temporaries: a
// verification allocates a few dozen big.Int buffers instead of thousands.
// It is not safe for concurrent use; each verification makes its own.
type arith struct {
	c                              *curve
	quo                            big.Int
	t0, t1, t2, t3, t4, t5, t6, t7 big.Int
}

// mod reduces z into [0, p) in place.
func (f *arith) mod(z *big.Int) *big.Int {
	f.quo.QuoRem(z, f.c.p, z)
	if z.Sign() < 0 {
		z.Add(z, f.c.p)
	}
	return z
}

// mul sets z = x·y mod p.
func (f *arith) mul(z, x, y *big.Int) *big.Int { return f.mod(z.Mul(x, y)) }

// double sets q = 2q.
func (f *arith) double(q *jacobian) {
	if q.z.Sign() == 0 || q.y.Sign() == 0 {
		q.z.SetInt64(0)
		return
	}
	xx, yy, yyyy, zz, s, m := &f.t0, &f.t1, &f.t2, &f.t3, &f.t4, &f.t5
	f.mul(xx, &q.x, &q.x)
	f.mul(yy, &q.y, &q.y)
	f.mul(yyyy, yy, yy)
	f.mul(zz, &q.z, &q.z)
	f.mul(s, &q.x, yy)
	s.Lsh(s, 2)
	f.mod(s) // S = 4·X·Y²
	f.mul(zz, zz, zz)
	f.mul(zz, zz, f.c.a)
	m.Lsh(xx, 1)
	m.Add(m, xx)
	m.Add(m, zz)
	f.mod(m) // M = 3·X² + a·Z⁴
	f.mul(&q.z, &q.z, &q.y)
	q.z.Lsh(&q.z, 1)
	f.mod(&q.z) // Z3 = 2·Y·Z, before Y changes
	f.mul(&q.x, m, m)
	q.x.Sub(&q.x, s)
	q.x.Sub(&q.x, s)
	f.mod(&q.x) // X3 = M² − 2S
	q.y.Sub(s, &q.x)
	f.mul(&q.y, &q.y, m)
	yyyy.Lsh(yyyy, 3)
	q.y.Sub(&q.y, yyyy)
	f.mod(&q.y) // Y3 = M·(S − X3) − 8·Y⁴
}

// add sets p = p + q; q must not be p.
func (f *arith) add(p, q *jacobian) {
	if q.z.Sign() == 0 {
		return
	}
	if p.z.Sign() == 0 {
		p.x.Set(&q.x)
		p.y.Set(&q.y)
		p.z.Set(&q.z)
		return
	}
	z1z1, z2z2, u1, u2, s1, s2, h, r := &f.t0, &f.t1, &f.t2, &f.t3, &f.t4, &f.t5, &f.t6, &f.t7
	f.mul(z1z1, &p.z, &p.z)
	f.mul(z2z2, &q.z, &q.z)
	f.mul(u1, &p.x, z2z2)
	f.mul(u2, &q.x, z1z1)
	f.mul(s1, &p.y, &q.z)
	f.mul(s1, s1, z2z2) // S1 = Y1·Z2³
	f.mul(s2, &q.y, &p.z)
	f.mul(s2, s2, z1z1) // S2 = Y2·Z1³
	if u1.Cmp(u2) == 0 {
		if s1.Cmp(s2) == 0 {
			f.double(p)
		} else {
			p.z.SetInt64(0)
		}
		return
	}
	f.mod(h.Sub(u2, u1))
	f.mod(r.Sub(s2, s1))
	hh, hhh := z1z1, z2z2 // no longer needed
	f.mul(hh, h, h)
	f.mul(hhh, h, hh)
	v := u2
	f.mul(v, u1, hh)
	f.mul(&p.z, &p.z, &q.z)
	f.mul(&p.z, &p.z, h) // Z3 = Z1·Z2·H
	f.mul(&p.x, r, r)
	p.x.Sub(&p.x, hhh)
	p.x.Sub(&p.x, v)
	p.x.Sub(&p.x, v)
	f.mod(&p.x) // X3 = R² − H³ − 2V
	f.mul(s1, s1, hhh)
	p.y.Sub(v, &p.x)
	f.mul(&p.y, &p.y, r)
	p.y.Sub(&p.y, s1)
	f.mod(&p.y) // Y3 = R·(V − X3) − S1·H³
}

// affineX returns the affine x of q, or nil for the point at infinity.
func (c *curve) affineX(q *jacobian) *big.Int {
	if q.z.Sign() == 0 {
		return nil
	}
	f := &arith{c: c}
	zinv := new(big.Int).ModInverse(&q.z, c.p)
	f.mul(zinv, zinv, zinv)
	return f.mul(zinv, &q.x, zinv)
}

// combinedMult computes u1·G + u2·(qx, qy) with Shamir's trick.
func (c *curve) combinedMult(u1, u2, qx, qy *big.Int) *jacobian {
	f := &arith{c: c}
	var g, q, gq jacobian
	g.x.Set(c.gx)
	g.y.Set(c.gy)
	g.z.SetInt64(1)
	q.x.Set(qx)
	q.y.Set(qy)
	q.z.SetInt64(1)
	gq.x.Set(&g.x)
	gq.y.Set(&g.y)
	gq.z.SetInt64(1)
	f.add(&gq, &q)
	acc := new(jacobian)
	for i := max(u1.BitLen(), u2.BitLen()) - 1; i >= 0; i-- {
		f.double(acc)
		switch {
		case u1.Bit(i) == 1 && u2.Bit(i) == 1:
			f.add(acc, &gq)
		case u1.Bit(i) == 1:
			f.add(acc, &g)
		case u2.Bit(i) == 1:
			f.add(acc, &q)
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
