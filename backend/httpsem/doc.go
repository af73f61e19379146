// Package httpsem owns the parts of HTTP semantics (RFC 9110) that the
// edge and the origin clients share: byte ranges (section 14), conditional
// requests (section 13), media types (section 8.3) and the allocation-free
// ASCII helpers they are parsed with. It is a leaf: it imports nothing of
// upedge, so that edge/ and backend/ can both use it.
//
// Values may be strings or byte slices: the edge hands in fasthttp's
// header bytes without copying them, the origin stores hand in strings.
package httpsem
