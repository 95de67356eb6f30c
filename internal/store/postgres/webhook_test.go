package postgres_test

import (
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/internal/store/storetest"
)

func TestWebhook(t *testing.T) {
	storetest.Webhook(t, func(t *testing.T) storetest.WebhookStore { return newStore(t) })
}
