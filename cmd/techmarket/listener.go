package main

import (
	"net"
	"sync"
	"sync/atomic"
)

// silentConnListener remembers the connections it accepted so shutdown can
// close those that never sent a byte. fasthttp counts a connection as busy
// from the moment it is accepted, so one opened and left silent (browsers
// and HTTP clients pre-connect) would hold a graceful shutdown until its
// read timeout. No request can be in flight on such a connection, so
// closing it loses nothing; connections with a request keep their grace.
type silentConnListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func newSilentConnListener(ln net.Listener) *silentConnListener {
	return &silentConnListener{Listener: ln, conns: map[*trackedConn]struct{}{}}
}

func (l *silentConnListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
}

// closeSilent closes every connection that has not sent a byte yet.
func (l *silentConnListener) closeSilent() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		if !c.spoke.Load() {
			c.Conn.Close()
		}
	}
}

type trackedConn struct {
	net.Conn
	l      *silentConnListener
	spoke  atomic.Bool
	closed sync.Once
}

func (c *trackedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.spoke.Store(true)
	}
	return n, err
}

func (c *trackedConn) Close() error {
	c.closed.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
