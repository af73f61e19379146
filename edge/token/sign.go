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

// Append appends the lowercase hex version ver token for c to dst.
func (s *Signer) Append(dst []byte, ver Version, c *Claims) []byte {
	st := s.k.get()
	defer s.k.put(st)
	const digits = "0123456789abcdef"
	for _, b := range st.sum(ver, c) {
		dst = append(dst, digits[b>>4], digits[b&15])
	}
	return dst
}
