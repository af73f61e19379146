package token

// Signer makes tokens as an XMPP server does. upedge itself never signs on
// the request path; `upedge sign`, edge/slot, the benchmark harness and the
// tests do. It is safe for concurrent use.
type Signer struct {
	k keyedMAC
}

// NewSigner returns a Signer for secret. The secret is copied.
func NewSigner(secret []byte) *Signer {
	s := &Signer{}
	s.k.init(secret)
	return s
}

// Append appends the lowercase hex token of query-token scheme ver (V1,
// Token, V2, V3 or V3Expires) for c to dst.
func (s *Signer) Append(dst []byte, ver Version, c *Claims) []byte {
	st := s.k.get()
	defer s.k.put(st)
	return appendHex(dst, st.sum(ver, c))
}

// AppendDelete appends the lowercase hex token of Metronome's signed
// DELETE of path (decoded, below the prefix) with deleteSecret to dst.
func (s *Signer) AppendDelete(dst, path, deleteSecret []byte) []byte {
	st := s.k.get()
	defer s.k.put(st)
	return appendHex(dst, st.sumDelete(path, deleteSecret))
}

func appendHex(dst, sum []byte) []byte {
	const digits = "0123456789abcdef"
	for _, b := range sum {
		dst = append(dst, digits[b>>4], digits[b&15])
	}
	return dst
}
