package memory_test

import (
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/storetest"
)

func TestWebhook(t *testing.T) {
	storetest.Webhook(t, func(*testing.T) storetest.WebhookStore { return memory.New() })
}
