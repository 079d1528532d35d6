package cache

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Near keeps copies of version tokens in this process in front of the
// shared ones on Redis, so a cached read costs no round trip at all, and
// keeps them exactly as fresh: a change is not acknowledged before every
// instance has dropped its copies.
//
// The protocol. Every instance subscribes to one channel. Release (after a
// change's transaction ended) gives the keys fresh tokens on Redis, then
// publishes the keys; PUBLISH answers how many subscribers it reached, and
// Release waits until that many have answered on a reply list, each after
// dropping its copies. An instance that does not answer within NearValid
// cannot serve a copy by then either: copies are used only while the
// instance's subscription proves itself alive, within NearValid of a PING
// sent on it (a PING sent before the PUBLISH is answered before the
// message, so a subscriber that has not seen the message has no proof
// younger than the PUBLISH). A subscriber that reconnects drops every copy
// (it may have missed messages), and a copy fetched while any change was
// being dropped is not kept (epoch), so a token read just before a change
// cannot land after its drop.
type Near struct {
	shared  *Redis
	channel string
	replies string
	members string // sorted set: instance -> when it last proved its subscription (unix ms)
	self    string

	mu     sync.RWMutex
	tokens map[string]string
	epoch  atomic.Uint64
	proof  atomic.Int64 // until when copies may be used: nanoseconds since start
	start  time.Time    // of this process's monotonic clock

	stop chan struct{}
	done chan struct{}
}

// Timing of Near.
const (
	// NearValid is how long a PING answered on the subscription lets
	// copies be used, counted from when it was sent.
	NearValid = time.Second
	// nearPing is how often the subscription is proved alive.
	nearPing = 200 * time.Millisecond
	// nearRegistered is how long an instance counts as one that must
	// answer after it last proved its subscription: far longer than
	// NearValid, to allow for clocks that disagree between machines.
	nearRegistered = 10 * time.Second
	// nearMax bounds the copies; when full they are all dropped.
	nearMax = 1 << 16
)

var _ Versions = (*Near)(nil)

// NewNear starts the subscription of this instance; Close stops it.
func NewNear(shared *Redis) *Near {
	n := &Near{
		shared:  shared,
		channel: shared.prefix + "rv:changes",
		replies: shared.prefix + "rv:acks:",
		members: shared.prefix + "rv:members",
		self:    newToken(),
		tokens:  map[string]string{},
		start:   time.Now(),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go n.listen()
	return n
}

// Close stops the subscription.
func (n *Near) Close() {
	select {
	case <-n.stop:
	default:
		close(n.stop)
	}
	<-n.done
}

// Proved reports whether this instance's subscription is proved alive, so
// that its copies are served.
func (n *Near) Proved() bool { return n.usable() }

// usable reports whether copies may be served now.
func (n *Near) usable() bool { return n.clock() < n.proof.Load() }

// clock reads the monotonic clock: wall-clock steps cannot stretch a proof.
func (n *Near) clock() int64 { return int64(time.Since(n.start)) }

// Version returns key's token: the copy while the subscription is proved
// alive, else the shared token (kept as a copy unless a change was dropped
// meanwhile).
func (n *Near) Version(ctx context.Context, key string) (string, error) {
	if n.usable() {
		n.mu.RLock()
		t, ok := n.tokens[key]
		n.mu.RUnlock()
		if ok {
			return t, nil
		}
	}
	e := n.epoch.Load()
	t, err := n.shared.Version(ctx, key)
	if err != nil || t == "" || !n.usable() {
		return t, err
	}
	n.mu.Lock()
	if n.epoch.Load() == e {
		if len(n.tokens) >= nearMax {
			clear(n.tokens)
		}
		n.tokens[key] = t
	}
	n.mu.Unlock()
	return t, nil
}

// Fence marks keys as changing on Redis. Copies stay: a change is not
// visible before it is released.
func (n *Near) Fence(ctx context.Context, keys ...string) (string, error) {
	return n.shared.Fence(ctx, keys...)
}

// Release gives keys fresh tokens on Redis and returns once every
// instance has dropped its copies of them, or can no longer use them.
func (n *Near) Release(ctx context.Context, marker string, keys ...string) error {
	if err := n.shared.Release(ctx, marker, keys...); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	c := n.shared.client
	reply := n.replies + newToken()
	defer c.Del(ctx, reply)
	// Who must answer: every subscriber the message reaches, and every
	// instance registered lately (its subscription may have died without
	// its knowing yet: it answers nothing, and its copies run out).
	reached, err := c.Publish(ctx, n.channel, reply+"\n"+strings.Join(keys, "\n")).Result()
	// A subscription that died before the message proved itself last
	// before now: its copies are unusable NearValid from now.
	sent := time.Now()
	if err != nil {
		time.Sleep(time.Until(sent.Add(NearValid)))
		return nil
	}
	since := strconv.FormatInt(time.Now().Add(-nearRegistered).UnixMilli(), 10)
	expected, err := c.ZRangeByScore(ctx, n.members, &redis.ZRangeBy{Min: since, Max: "+inf"}).Result()
	if err != nil {
		time.Sleep(time.Until(sent.Add(NearValid)))
		return nil
	}
	answered := map[string]bool{}
	done := func() bool {
		if int64(len(answered)) < reached {
			return false
		}
		for _, id := range expected {
			if !answered[id] {
				return false
			}
		}
		return true
	}
	for !done() {
		wait := time.Until(sent.Add(NearValid))
		if wait < time.Millisecond { // (a BLPOP of 0 s would block for ever)
			return nil // whoever did not answer can use no copy now
		}
		// Short blocking pops: go-redis's BLPop rounds to whole seconds,
		// and a pop must end within the client's read timeout.
		wait = min(wait, 100*time.Millisecond)
		r, err := c.Do(ctx, "BLPOP", reply, strconv.FormatFloat(wait.Seconds(), 'f', 3, 64)).StringSlice()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil || len(r) != 2 {
			time.Sleep(time.Until(sent.Add(NearValid)))
			return nil
		}
		answered[r[1]] = true
	}
	return nil
}

// drop forgets keys' copies (all copies when keys is nil).
func (n *Near) drop(keys []string) {
	n.epoch.Add(1)
	n.mu.Lock()
	if keys == nil {
		clear(n.tokens)
	}
	for _, k := range keys {
		delete(n.tokens, k)
	}
	n.mu.Unlock()
}

// listen holds the subscription: it drops what changes, answers, and
// proves the subscription alive with a PING every nearPing.
func (n *Near) listen() {
	defer close(n.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-n.stop
		cancel()
	}()
	c := n.shared.client
	for ctx.Err() == nil {
		ps := c.Subscribe(ctx, n.channel)
		n.serve(ctx, ps)
		_ = ps.Close()
		// Whatever was published while not subscribed is unknown.
		n.proof.Store(0)
		n.drop(nil)
		select {
		case <-ctx.Done():
		case <-time.After(nearPing):
		}
	}
	// Gone for good: writers need not wait for this instance.
	c.ZRem(context.Background(), n.members, n.self)
}

// serve reads one subscription until it fails.
func (n *Near) serve(ctx context.Context, ps *redis.PubSub) {
	c := n.shared.client
	ping := func() bool {
		return ps.Ping(ctx, strconv.FormatInt(n.clock(), 10)) == nil
	}
	if !ping() {
		return
	}
	next := time.Now().Add(nearPing)
	for ctx.Err() == nil {
		m, err := ps.ReceiveTimeout(ctx, time.Until(next))
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				if !ping() {
					return
				}
				next = time.Now().Add(nearPing)
				continue
			}
			return
		}
		switch m := m.(type) {
		case *redis.Subscription:
			// (Re)subscribed: messages may have been missed before.
			n.drop(nil)
		case *redis.Pong:
			// Registered first, then proved: a writer that does not find
			// this instance registered cannot meet one of its copies.
			at, err := strconv.ParseInt(m.Payload, 10, 64)
			if err != nil {
				continue
			}
			now := time.Now()
			p := c.Pipeline()
			p.ZAdd(ctx, n.members, redis.Z{Score: float64(now.UnixMilli()), Member: n.self})
			p.ZRemRangeByScore(ctx, n.members, "-inf", strconv.FormatInt(now.Add(-time.Hour).UnixMilli(), 10))
			if _, err := p.Exec(ctx); err != nil {
				return
			}
			n.proof.Store(at + int64(NearValid))
		case *redis.Message:
			reply, keys, _ := strings.Cut(m.Payload, "\n")
			n.drop(strings.Split(keys, "\n"))
			p := c.Pipeline()
			p.RPush(ctx, reply, n.self)
			p.Expire(ctx, reply, 2*NearValid)
			if _, err := p.Exec(ctx); err != nil {
				return
			}
		}
		if time.Now().After(next) {
			if !ping() {
				return
			}
			next = time.Now().Add(nearPing)
		}
	}
}
