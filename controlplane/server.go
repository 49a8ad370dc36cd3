package controlplane

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/snapshot"
	"github.com/trellisproject/trellis/store"
)

// ServerConfig configures a Server.
type ServerConfig struct {
	// Store keeps everything. Required.
	Store store.Store
	// Snapshots is the current configuration, rebuilt on every change.
	// Required.
	Snapshots *snapshot.Manager
	// Region is the region the control plane serves. Required.
	Region string
	// Clock and Random default to time.Now and crypto/rand.Reader.
	Clock  func() time.Time
	Random io.Reader
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies; zero means 1 MiB.
	MaxBodyBytes int64
	// RateLimit and RateBurst, when RateLimit is positive, limit each
	// account's calls: RateLimit calls a second in bursts of up to
	// RateBurst, to each of the VPC Lattice, STS and native APIs (see
	// LatticeConfig.RateLimit and STSConfig.RateLimit).
	RateLimit float64
	RateBurst int
	// TargetHealth, when not nil, gives ListTargets the health of targets
	// (see LatticeConfig.TargetHealth).
	TargetHealth TargetHealthFunc
}

// A Server is trellis's control plane: one HTTP handler for the VPC Lattice
// API, the STS API and trellis's native configuration API, all signed with
// SigV4 and authorised by the caller's own policies.
type Server struct {
	lattice *LatticeAPI
	sts     *STSHandler
	native  *nativeAPI
}

// NewServer builds the control plane.
func NewServer(c ServerConfig) (*Server, error) {
	if c.Store == nil || c.Snapshots == nil || c.Region == "" {
		return nil, errors.New("controlplane: Store, Snapshots and Region are required")
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Random == nil {
		c.Random = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	dir := func() *identity.Directory { return c.Snapshots.Current().Identity }
	latticeAuthz, err := NewIAMAuthorizer(c.Region, "vpc-lattice", dir, c.Clock)
	if err != nil {
		return nil, err
	}
	lattice, err := NewLatticeAPI(LatticeConfig{Store: c.Store, Authorizer: latticeAuthz, Region: c.Region,
		Rand: c.Random, Clock: c.Clock, Logger: c.Logger, MaxBodyBytes: c.MaxBodyBytes, TargetHealth: c.TargetHealth,
		RateLimit: c.RateLimit, RateBurst: c.RateBurst})
	if err != nil {
		return nil, err
	}
	sts, err := NewSTSHandler(STSConfig{Directory: dir, Region: c.Region, Clock: c.Clock, Random: c.Random, Logger: c.Logger,
		RateLimit: c.RateLimit, RateBurst: c.RateBurst,
		SaveSession: func(ctx context.Context, s identity.Session) error {
			seq, err := c.Store.Update(ctx, func(tx store.Tx) error { return snapshot.SaveSession(tx, s) })
			if err != nil {
				return err
			}
			return c.Snapshots.WaitFor(ctx, seq)
		}})
	if err != nil {
		return nil, err
	}
	nativeAuthz, err := NewIAMAuthorizer(c.Region, NativeSigningService, dir, c.Clock)
	if err != nil {
		return nil, err
	}
	native := &nativeAPI{authz: nativeAuthz, region: c.Region, maxBody: c.MaxBodyBytes, wait: c.Snapshots.WaitFor,
		applier: &Applier{Store: c.Store, Random: c.Random, Clock: c.Clock}, clock: c.Clock}
	if c.RateLimit > 0 {
		native.limiter = newRateLimiter(c.RateLimit, c.RateBurst, maxRateLimitKeys)
	}
	return &Server{lattice: lattice, sts: sts, native: native}, nil
}

// ServeHTTP routes a request: trellis's own API under /trellis/, STS
// (the query protocol, at the root path), and the VPC Lattice API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/trellis/"):
		s.native.ServeHTTP(w, r)
	case r.URL.Path == "/" || r.URL.Path == "":
		s.sts.ServeHTTP(w, r)
	default:
		s.lattice.ServeHTTP(w, r)
	}
}
