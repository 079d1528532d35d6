package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/liuzhou-techmarket/techmarket/internal/cache"
)

// flakyCache fails every call while down is set.
type flakyCache struct {
	cache.Cache
	down atomic.Bool
}

var errDown = errors.New("cache down")

func (f *flakyCache) SetNX(ctx context.Context, k string, v []byte, ttl time.Duration) (bool, error) {
	if f.down.Load() {
		return false, errDown
	}
	return f.Cache.SetNX(ctx, k, v, ttl)
}

func (f *flakyCache) Get(ctx context.Context, k string) ([]byte, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Cache.Get(ctx, k)
}

// idemApp is a bare app with the middleware in front of handler.
func idemApp(t *testing.T, c cache.Cache, handler fiber.Handler) *fiber.App {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler(log)})
	s := &Server{App: app, deps: Deps{Cache: c, Log: log}, cfg: Config{IdempotencyTTL: time.Hour}}
	app.Post("/x", s.idempotent, handler)
	return app
}

func post(t *testing.T, app *fiber.App, key, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("POST", "/x", strings.NewReader(body))
	req.Header.Set(HeaderIdempotencyKey, key)
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestIdempotencyInFlight(t *testing.T) {
	mem := cache.NewMemory()
	defer mem.Close()
	release := make(chan struct{})
	started := make(chan struct{})
	var calls atomic.Int32
	app := idemApp(t, mem, func(c *fiber.Ctx) error {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
		return c.Status(201).JSON(fiber.Map{"n": calls.Load()})
	})
	done := make(chan string)
	go func() {
		_, body := post(t, app, "k", "{}")
		done <- body
	}()
	<-started
	if status, body := post(t, app, "k", "{}"); status != 409 || !strings.Contains(body, "in progress") {
		t.Fatalf("duplicate in flight: %d %s", status, body)
	}
	if status, _ := post(t, app, "k", `{"other":1}`); status != 422 {
		t.Fatalf("other body in flight: %d", status)
	}
	close(release)
	first := <-done
	if status, body := post(t, app, "k", "{}"); status != 201 || body != first {
		t.Fatalf("replay: %d %s, want 201 %s", status, body, first)
	}
	if calls.Load() != 1 {
		t.Fatalf("handler ran %d times", calls.Load())
	}
}

func TestIdempotencyReleasesOn5xx(t *testing.T) {
	mem := cache.NewMemory()
	defer mem.Close()
	var calls atomic.Int32
	app := idemApp(t, mem, func(c *fiber.Ctx) error {
		if calls.Add(1) == 1 {
			return errors.New("database fell over")
		}
		return c.Status(201).SendString("made")
	})
	if status, body := post(t, app, "k", "{}"); status != 500 || strings.Contains(body, "fell over") {
		t.Fatalf("first: %d %s", status, body)
	}
	// The failure released the key: the retry acts for real.
	if status, body := post(t, app, "k", "{}"); status != 201 || body != "made" {
		t.Fatalf("retry: %d %s", status, body)
	}
	if status, _ := post(t, app, "k", "{}"); status != 201 || calls.Load() != 2 {
		t.Fatalf("replay after success: %d, %d calls", status, calls.Load())
	}
}

func TestIdempotencyFailsClosed(t *testing.T) {
	mem := cache.NewMemory()
	defer mem.Close()
	fc := &flakyCache{Cache: mem}
	var calls atomic.Int32
	app := idemApp(t, fc, func(c *fiber.Ctx) error {
		calls.Add(1)
		return c.Status(201).SendString("made")
	})
	fc.down.Store(true)
	if status, body := post(t, app, "k", "{}"); status != 503 || strings.Contains(body, errDown.Error()) {
		t.Fatalf("cache down: %d %s", status, body)
	}
	if calls.Load() != 0 {
		t.Fatal("handler ran while the cache was down")
	}
	// Without a key the request does not need the cache.
	req := httptest.NewRequest("POST", "/x", strings.NewReader("{}"))
	if res, err := app.Test(req, -1); err != nil || res.StatusCode != 201 {
		t.Fatalf("no key: %v %v", res, err)
	}
}

func TestMultipartFingerprint(t *testing.T) {
	var fps []string
	app := fiber.New()
	app.Post("/x", func(c *fiber.Ctx) error {
		fps = append(fps, fingerprint(c))
		return nil
	})
	send := func(contentType, body string) {
		t.Helper()
		req := httptest.NewRequest("POST", "/x", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if _, err := app.Test(req, -1); err != nil {
			t.Fatal(err)
		}
	}
	form := func(boundary, name, filename, content string) string {
		return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename + "\"\r\n\r\n" +
			content + "\r\n--" + boundary + "--\r\n"
	}
	send("multipart/form-data; boundary=aaa", form("aaa", "file", "a.pdf", "%PDF one"))
	send("multipart/form-data; boundary=bbb", form("bbb", "file", "a.pdf", "%PDF one"))
	send("multipart/form-data; boundary=ccc", form("ccc", "file", "a.pdf", "%PDF two"))
	send("multipart/form-data; boundary=ddd", form("ddd", "file", "b.pdf", "%PDF one"))
	send("multipart/form-data; boundary=eee", form("eee", "attachment", "a.pdf", "%PDF one"))
	if fps[0] != fps[1] {
		t.Error("the boundary changed the fingerprint")
	}
	for i, what := range map[int]string{2: "content", 3: "file name", 4: "form name"} {
		if fps[i] == fps[0] {
			t.Errorf("another %s gave the same fingerprint", what)
		}
	}
}
