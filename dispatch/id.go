package dispatch

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"
)

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns prefix_ followed by a time-sortable identifier: 48 bits of milliseconds
// since the epoch then 80 random bits, in Crockford-style base32 (26 characters). IDs made
// later sort after earlier ones, which the list cursor relies on.
func NewID(prefix string, now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// NewSecret returns prefix_ followed by 192 random bits (a bearer token or API key).
func NewSecret(prefix string) string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// NewTrackToken returns a 160-bit random tracking capability.
func NewTrackToken() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return idEncoding.EncodeToString(b[:])
}

// HashSecret returns the hex SHA-256 of a secret; stores keep only this.
func HashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func newHandoffCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(10000))
	if err != nil {
		n = big.NewInt(time.Now().UnixNano() % 10000)
	}
	return fmt.Sprintf("%04d", n.Int64())
}
