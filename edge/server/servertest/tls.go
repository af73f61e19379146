package servertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Cert is a self-signed certificate written to files by WriteCert: it is
// its own CA, so a client that trusts CertFile accepts it.
type Cert struct {
	CertFile, KeyFile string
	X509              *x509.Certificate
}

// WriteCert writes a new self-signed certificate for hosts (DNS names or
// IP addresses), valid from an hour ago until notAfter, and its key as
// PEM files NAME.crt and NAME.key in dir, replacing files of those names
// (as a certificate renewal does).
func WriteCert(tb testing.TB, dir, name string, hosts []string, notAfter time.Time) Cert {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0]},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	c := Cert{CertFile: filepath.Join(dir, name+".crt"), KeyFile: filepath.Join(dir, name+".key")}
	if c.X509, err = x509.ParseCertificate(der); err != nil {
		tb.Fatal(err)
	}
	writePEM(tb, c.CertFile, "CERTIFICATE", der)
	writePEM(tb, c.KeyFile, "EC PRIVATE KEY", keyDER)
	return c
}

func writePEM(tb testing.TB, path, kind string, der []byte) {
	tb.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// Pool returns a certificate pool that trusts c.
func (c Cert) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.X509)
	return p
}

// Config returns a TLS client config that trusts c.
func (c Cert) Config() *tls.Config { return &tls.Config{RootCAs: c.Pool()} }

// ServedCert dials addr with TLS, trusting nothing (the caller compares
// what it got), and returns the certificate the server presented and the
// open connection, which the caller closes.
func ServedCert(tb testing.TB, addr string) (*x509.Certificate, *tls.Conn) {
	tb.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		tb.Fatalf("TLS dial %s: %v", addr, err)
	}
	return c.ConnectionState().PeerCertificates[0], c
}
