package webhooks

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// Options shape the outbound HTTP of deliveries.
type Options struct {
	// Timeout bounds a whole attempt: connecting, sending, and reading the answer. Default 10s.
	Timeout time.Duration
	// AllowPrivateNetworks lets deliveries reach loopback, private, link-local and other
	// non-public addresses (WEBHOOK_ALLOW_PRIVATE_NETWORKS). Off, such addresses are refused
	// when connecting, after DNS, so a name that resolves (or re-resolves) to one is refused too.
	AllowPrivateNetworks bool
}

// Defaults of the outbound HTTP.
const (
	DefaultTimeout = 10 * time.Second
	// MaxResponseBytes is the most of an answer's body read; the rest is dropped unread. Only
	// the status code counts.
	MaxResponseBytes = 64 << 10
	maxHeaderBytes   = 16 << 10
	dialTimeout      = 5 * time.Second
)

// RefusedAddressError is a connection refused before it was made: the address is not public.
type RefusedAddressError struct {
	IP    netip.Addr
	Class string // loopback, private, link-local, ...
}

func (e *RefusedAddressError) Error() string {
	return fmt.Sprintf("refused to connect to %s: a %s address (an operator can allow private networks with WEBHOOK_ALLOW_PRIVATE_NETWORKS)", e.IP, e.Class)
}

// NewClient is the HTTP client of deliveries: timeouts, no proxy from the environment, no
// redirects followed (a 3xx answer is a failed attempt), capped answer headers, and unless
// allowed, no connection to an address that is not public.
func NewClient(o Options) *http.Client {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: min(dialTimeout, timeout), KeepAlive: 30 * time.Second}
	if !o.AllowPrivateNetworks {
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would connect for us, out of reach of the address check
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    min(dialTimeout, timeout),
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: maxHeaderBytes,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// refusePrivate is the dialer's check of each address it is about to connect to: after DNS,
// so a name that resolves to a private address, now or on a later lookup, is refused too.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("refused to connect to %q: not an IP address", host)
	}
	if class := AddressClass(ip); class != "" {
		return &RefusedAddressError{IP: ip, Class: class}
	}
	return nil
}

// nonPublic are the ranges, beyond the standard library's classes, that no delivery may reach:
// "this network", carrier-grade NAT, IETF protocol assignments, documentation and benchmark
// ranges, the reserved 240/4, and their IPv6 counterparts.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// AddressClass names why ip is not public ("loopback", "private", "link-local", ...), or ""
// for a public address. An IPv4 address inside IPv6 (mapped, or NAT64) is judged as IPv4.
func AddressClass(ip netip.Addr) string {
	ip = ip.Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return "reserved"
		}
	}
	if ip.Is4() && ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return "broadcast"
	}
	return ""
}

// describe turns a failed request into the reason kept with the attempt: no URL (it may carry
// a partner's own token), no secret, no signature.
func describe(err error, timeout time.Duration) string {
	var refused *RefusedAddressError
	var netErr net.Error
	switch {
	case errors.As(err, &refused):
		return refused.Error()
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("timed out: no complete answer within %s", timeout)
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the url.Error names the URL; what it wraps names at most the address
	}
	return err.Error()
}
