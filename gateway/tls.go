package gateway

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// IngressTLS makes an ingress accept TLS only, as a VPC Lattice HTTPS
// listener does: TLS 1.2 or 1.3, with HTTP/2 or HTTP/1.1 chosen by ALPN
// (HTTP/1.1 when the client offers no ALPN).
type IngressTLS struct {
	// CertFile is a PEM file with the certificate, followed by any
	// intermediate certificates. Required.
	CertFile string `json:"certFile"`
	// KeyFile is a PEM file with the certificate's private key. Required.
	KeyFile string `json:"keyFile"`
}

// check validates the TLS settings of the ingress at listen.
func (t *IngressTLS) check(listen string) error {
	if t.CertFile == "" || t.KeyFile == "" {
		return fmt.Errorf("ingress %s: tls needs both certFile and keyFile", listen)
	}
	return nil
}

// certCheckInterval is how often, at most, the certificate and key files
// are looked at for changes.
const certCheckInterval = time.Second

// certSource serves an ingress's certificate and reloads it when its
// files change. A reload that fails keeps the certificate served so far.
type certSource struct {
	certFile, keyFile string
	log               *slog.Logger

	mu              sync.Mutex
	cert            *tls.Certificate
	certMod, keyMod time.Time
	checked         time.Time
	// failedCert and failedKey are the modification times of the files
	// of the last load that failed.
	failedCert, failedKey time.Time
}

// newCertSource loads the certificate and key; the error says which file
// is missing, unreadable or wrong.
func newCertSource(t *IngressTLS, log *slog.Logger) (*certSource, error) {
	s := &certSource{certFile: t.CertFile, keyFile: t.KeyFile, log: log}
	cm, km, err := s.modTimes()
	if err != nil {
		return nil, err
	}
	if s.cert, err = s.load(); err != nil {
		return nil, err
	}
	s.certMod, s.keyMod, s.checked = cm, km, time.Now()
	return s, nil
}

func (s *certSource) modTimes() (cert, key time.Time, err error) {
	ci, err := os.Stat(s.certFile)
	if err != nil {
		return cert, key, fmt.Errorf("tls certFile: %w", err)
	}
	ki, err := os.Stat(s.keyFile)
	if err != nil {
		return cert, key, fmt.Errorf("tls keyFile: %w", err)
	}
	return ci.ModTime(), ki.ModTime(), nil
}

func (s *certSource) load() (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(s.certFile)
	if err != nil {
		return nil, fmt.Errorf("tls certFile: %w", err)
	}
	keyPEM, err := os.ReadFile(s.keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls keyFile: %w", err)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tls certFile %s with keyFile %s: %w", s.certFile, s.keyFile, err)
	}
	return &c, nil
}

// get is the tls.Config's GetCertificate.
func (s *certSource) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if now.Sub(s.checked) < certCheckInterval {
		return s.cert, nil
	}
	s.checked = now
	cm, km, err := s.modTimes()
	if err != nil || (cm.Equal(s.certMod) && km.Equal(s.keyMod)) || (cm.Equal(s.failedCert) && km.Equal(s.failedKey)) {
		return s.cert, nil
	}
	c, err := s.load()
	if err != nil {
		// The files may be half written; try again when they change.
		s.failedCert, s.failedKey = cm, km
		s.log.Warn("TLS certificate not reloaded; serving the previous one", "err", err)
		return s.cert, nil
	}
	s.cert, s.certMod, s.keyMod = c, cm, km
	s.log.Info("TLS certificate reloaded", "certFile", s.certFile)
	return s.cert, nil
}

// serverTLS returns the TLS configuration of an ingress.
func serverTLS(src *certSource) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"h2", "http/1.1"},
		GetCertificate: src.get,
	}
}

// tlsVersionName names a TLS version as VPC Lattice's access logs do
// (OpenSSL's names): TLSv1.2, TLSv1.3.
func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return tls.VersionName(v)
}
