package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DataDir != "./data" || c.DBDSN != "" || c.RedisURL != "" ||
		c.BodyLimit != 1<<20 || c.UploadLimit != 20<<20 || c.RateLimit != 1200 || c.LoginLimit != 10 ||
		c.AccessTTL != 15*time.Minute || c.RegisterLimit != 20 || !c.MatchReciprocal {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestOverrides(t *testing.T) {
	c, err := Load(env(map[string]string{
		"TECHMARKET_BODY_LIMIT": "2048", "TECHMARKET_RATE_LIMIT": "60", "TECHMARKET_LOGIN_LIMIT": "3",
		"TECHMARKET_DB_DSN": "root@tcp(db:3306)/x", "TECHMARKET_ACCESS_TTL": "5m",
		"TECHMARKET_JWT_OLD_SECRETS": "a, b ,", "TECHMARKET_TRUST_PROXY": "true", "TECHMARKET_REGISTER_LIMIT": "5",
		"TECHMARKET_MATCH_RECIPROCAL": "false",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BodyLimit != 2048 || c.RateLimit != 60 || c.LoginLimit != 3 || c.DBDSN == "" ||
		c.AccessTTL != 5*time.Minute || len(c.JWTOldSecrets) != 2 || len(c.TrustedProxies) != len(PrivateNetworks) || c.RegisterLimit != 5 || c.MatchReciprocal {
		t.Fatalf("overrides: %+v", c)
	}
}

func TestBadValues(t *testing.T) {
	_, err := Load(env(map[string]string{
		"TECHMARKET_BODY_LIMIT": "1MB", "TECHMARKET_RATE_LIMIT": "-1", "TECHMARKET_ACCESS_TTL": "soon",
		"TECHMARKET_JWT_SECRET": "short", "TECHMARKET_LOG_LEVEL": "loud", "TECHMARKET_REGISTER_LIMIT": "20/h",
		"TECHMARKET_MATCH_RECIPROCAL": "sometimes",
	}))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{"TECHMARKET_BODY_LIMIT", "TECHMARKET_RATE_LIMIT", "TECHMARKET_ACCESS_TTL", "TECHMARKET_JWT_SECRET", "TECHMARKET_LOG_LEVEL", "TECHMARKET_REGISTER_LIMIT", "TECHMARKET_MATCH_RECIPROCAL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}

// TECHMARKET_TRUST_PROXY takes a list of addresses and CIDRs; true means
// the private networks, false none; anything else is refused at start-up.
func TestTrustedProxies(t *testing.T) {
	for v, want := range map[string]int{"false": 0, "true": len(PrivateNetworks), "10.0.0.1": 1,
		" 10.0.0.0/8, 192.168.1.7 ,fd00::/8": 3} {
		c, err := Load(env(map[string]string{"TECHMARKET_TRUST_PROXY": v}))
		if err != nil || len(c.TrustedProxies) != want {
			t.Errorf("%q: %v %v", v, c.TrustedProxies, err)
		}
	}
	for _, v := range []string{"yes-please", "10.0.0.0/33", "10.0.0.1, nginx"} {
		if _, err := Load(env(map[string]string{"TECHMARKET_TRUST_PROXY": v})); err == nil || !strings.Contains(err.Error(), "TECHMARKET_TRUST_PROXY") {
			t.Errorf("%q accepted: %v", v, err)
		}
	}
}
