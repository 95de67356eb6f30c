package dispatch

import (
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// Merchant is a shop, restaurant or store that sends orders.
type Merchant struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// APIKeyHash is the hex SHA-256 of the merchant's API key (the key is shown once).
	APIKeyHash string `json:"-"`
	// WebhookURL receives signed status webhooks (empty: none).
	WebhookURL string `json:"webhook_url,omitempty"`
	// WebhookSecret signs those webhooks.
	WebhookSecret string    `json:"-"`
	CreatedAt     time.Time `json:"created_at"`
}

// Station is a franchisee's base: its couriers are offered orders whose pickup lies in
// its zone before anyone else.
type Station struct {
	ID   string      `json:"id"`
	Name string      `json:"name"`
	Zone geo.Polygon `json:"zone"`
	// Window is how long the station's couriers have the order before the crowd sees it;
	// zero means the engine's default.
	Window    time.Duration `json:"window"`
	CreatedAt time.Time     `json:"created_at"`
}

// ServiceArea is a polygon where pickups and drop-offs are accepted.
type ServiceArea struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Polygon   geo.Polygon `json:"polygon"`
	CreatedAt time.Time   `json:"created_at"`
}
