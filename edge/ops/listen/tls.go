package listen

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// Certificate is the TLS certificate an edge serves, replaced whole by
// Load while connections are open: a handshake uses the one in force when
// it starts, so that a renewed certificate reaches new connections and
// open ones are left alone. It is safe for concurrent use.
type Certificate struct {
	cur atomic.Pointer[tls.Certificate]
}

// LoadCertificate reads a PEM certificate chain and its key.
func LoadCertificate(certFile, keyFile string) (*Certificate, error) {
	c := &Certificate{}
	cert, err := ReadCertificate(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	c.Set(cert)
	return c, nil
}

// ReadCertificate reads and checks a PEM certificate chain and its key
// without putting them in force, so that a reload can check everything
// before it changes anything.
func ReadCertificate(certFile, keyFile string) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load TLS certificate %q and key %q: %w", certFile, keyFile, err)
	}
	if cert.Leaf == nil {
		// Go 1.23 and later fill Leaf; NotAfter below needs it.
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("cannot parse TLS certificate %q: %w", certFile, err)
		}
	}
	return &cert, nil
}

// Set puts cert in force for the handshakes that start from now on.
func (c *Certificate) Set(cert *tls.Certificate) { c.cur.Store(cert) }

// NotAfter returns the end of the validity of the certificate in force.
func (c *Certificate) NotAfter() time.Time { return c.cur.Load().Leaf.NotAfter }

// get is tls.Config.GetCertificate.
func (c *Certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if cert := c.cur.Load(); cert != nil {
		return cert, nil
	}
	return nil, errors.New("no TLS certificate loaded")
}

// TLSListener returns ln serving TLS with the certificate in force at each
// handshake. It offers HTTP/1.1 only: the edge is an HTTP/1.1 server, and
// a client told otherwise by ALPN would speak HTTP/2 to it.
func (c *Certificate) TLSListener(ln net.Listener) net.Listener {
	return tls.NewListener(ln, &tls.Config{
		GetCertificate: c.get,
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"http/1.1"},
	})
}
