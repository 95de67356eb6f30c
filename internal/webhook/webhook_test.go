package webhook_test

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/signature"
	"github.com/hummingbird-dispatch/hummingbird/internal/webhook"
)

func TestCheckURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"":                                true, // webhooks off
		"https://shop.example/hooks":      true,
		"https://shop.example:8443/h?x=1": true,
		"http://127.0.0.1:9000/hooks":     true,
		"http://localhost/hooks":          true,
		"http://[::1]:8080/":              true,
		"http://shop.example/hooks":       false, // plain http off the machine
		"http://10.0.0.1/":                false,
		"ftp://shop.example/":             false,
		"https://user:pw@shop.example/":   false,
		"https://shop.example/#frag":      false,
		"https:///nohost":                 false,
		"https://:443/":                   false,
		"/relative":                       false,
		"shop.example/hooks":              false,
		"https://shop.example/a b":        false,
		"mailto:a@b.example":              false,
		"https://shop.example/" + string(make([]byte, webhook.MaxURLLen)): false,
	} {
		err := webhook.CheckURL("url", raw)
		var fe *dispatch.FieldError
		if got := err == nil; got != want {
			t.Errorf("CheckURL(%q) = %v, want ok %v", raw, err, want)
		} else if err != nil && (!errors.As(err, &fe) || fe.Field != "url" || !errors.Is(err, dispatch.ErrInvalid)) {
			t.Errorf("CheckURL(%q) = %#v, want a FieldError on url", raw, err)
		}
	}
}

// FuzzCheckURL: whatever a merchant sends, an accepted URL is absolute https, or http to
// this machine.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://a.example/x", "http://localhost:1/", "http://127.0.0.1.evil.example/", "https://[::1]/", "http://LOCALHOST/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if webhook.CheckURL("url", raw) != nil || raw == "" {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" || u.User != nil {
			t.Fatalf("accepted %q: %v", raw, err)
		}
		if h := u.Hostname(); u.Scheme != "https" && (u.Scheme != "http" || (h != "127.0.0.1" && h != "::1" && h != "localhost")) {
			t.Fatalf("accepted %q with scheme %q host %q", raw, u.Scheme, h)
		}
	})
}

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1::1": true, "8.8.8.8": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "255.255.255.255": false,
		"::1": false, "fe80::1": false, "fd00::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
		"::": false, "ff02::1": false, "2001:db8::1": false, "224.0.0.1": false,
	} {
		if got := webhook.Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestEventType(t *testing.T) {
	for in, want := range map[dispatch.EventType]string{
		dispatch.StateEvent(dispatch.Delivered): "order.delivered",
		dispatch.EventOfferSent:                 "order.offer.sent",
		dispatch.EventRefunded:                  "order.payment.refunded",
	} {
		if got := webhook.EventType(in); got != want {
			t.Errorf("EventType(%s) = %s, want %s", in, got, want)
		}
	}
}

// A merchant checks a webhook with the secret it was given: the signature covers the
// timestamp and the raw body, and is at most five minutes old.
func Example_verify() {
	secret := []byte("whsec_example")
	body := []byte(`{"id":"evt_ord_1_3","type":"order.assigned","created":1741953600,"data":{}}`)
	sent := time.Unix(1741953605, 0)
	header := signature.Sign(secret, sent, body) // what arrives in Hummingbird-Signature

	v := signature.Verifier{Secrets: [][]byte{secret}, Tolerance: 5 * time.Minute}
	fmt.Println(v.Verify(header, body, sent.Add(time.Minute)))
	fmt.Println(v.Verify(header, append(body, ' '), sent.Add(time.Minute)))
	// Output:
	// <nil>
	// signature: no signature matches
}
