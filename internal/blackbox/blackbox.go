// Package blackbox drives the real techmarket binary from the outside: it
// builds ./cmd/techmarket, runs its subcommands and `serve` processes on
// loopback ports with an environment of their own, creates and drops
// MariaDB databases for them, and talks to them over HTTP. The load
// scenario (scripts/load) and the multi-instance test use it; nothing in
// the service imports it.
//
// Everything here is bounded: every wait has a timeout, every server it
// starts is stopped by its Stop, and clients refuse any address outside
// the loopback range.
package blackbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"
)

// MainPackage is the import path of the binary under test.
const MainPackage = "github.com/liuzhou-techmarket/techmarket/cmd/techmarket"

// ModuleRoot returns the repository root this file was compiled from, or
// "" when the sources are not there (a copied binary).
func ModuleRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return ""
	}
	return root
}

// Build compiles the techmarket binary into dir, with extra go build flags
// (e.g. -race), and returns its path.
func Build(ctx context.Context, dir string, flags ...string) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(dir, "techmarket")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	args := append(append([]string{"build"}, flags...), "-o", out, MainPackage)
	cmd := exec.CommandContext(ctx, gobin, args...)
	cmd.Dir = ModuleRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", MainPackage, err, b)
	}
	return out, nil
}

// Env returns this process's environment without any TECHMARKET_ variable,
// plus vars: a child sees exactly the configuration it is given.
func Env(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TECHMARKET_") {
			env = append(env, kv)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// Command runs one subcommand of bin (admin create, migrate, ...) with env
// and returns its combined output.
func Command(ctx context.Context, bin string, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("techmarket %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// FreeAddr returns a loopback address with a port nobody listens on now.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Server is one `techmarket serve` process.
type Server struct {
	Name    string
	Addr    string
	URL     string // http://Addr
	LogPath string
	cmd     *exec.Cmd
	logf    *os.File
	done    chan struct{}
	waitErr error
}

// Start launches `bin serve` on a free loopback port with env (whose
// TECHMARKET_ADDR it sets), its output going to logPath. It does not wait
// for the server to listen: see WaitHealthy.
func Start(bin string, env []string, name, logPath string) (*Server, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(append([]string{}, env...), "TECHMARKET_ADDR="+addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &Server{Name: name, Addr: addr, URL: "http://" + addr, LogPath: logPath, cmd: cmd, logf: logf, done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	return s, nil
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// WaitHealthy polls /healthz until it answers 200, the process exits or
// timeout passes.
func (s *Server) WaitHealthy(timeout time.Duration) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		if s.Exited() {
			return fmt.Errorf("%s exited before it served: %v\n%s", s.Name, s.waitErr, s.LogTail(20))
		}
		res, err := hc.Get(s.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy after %s: %v\n%s", s.Name, timeout, err, s.LogTail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGTERM, waits up to timeout for a clean stop, then kills the
// process. It is safe to call twice. Close the clients' idle connections
// first: a connection that a client opened but never sent a request on
// holds the server's graceful shutdown until TECHMARKET_SHUTDOWN_TIMEOUT
// (see docs/load.md).
func (s *Server) Stop(timeout time.Duration) error {
	if s.Exited() {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(timeout):
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("%s did not stop within %s: killed", s.Name, timeout)
	}
}

// ExitCode is the process's exit status once it has ended (-1 before, or
// when a signal ended it).
func (s *Server) ExitCode() int {
	if !s.Exited() {
		return -1
	}
	return s.cmd.ProcessState.ExitCode()
}

// LogTail returns the last n lines of the server's output.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.LogPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// MySQLDatabase is a fresh database on a MariaDB/MySQL server.
type MySQLDatabase struct {
	Name string
	DSN  string // the server DSN with Name as its database
	DB   *sql.DB
	root *sql.DB
}

// CreateMySQLDatabase creates database prefix<random> (utf8mb4) on the
// server that serverDSN names (its database part is ignored).
func CreateMySQLDatabase(ctx context.Context, serverDSN, prefix string) (*MySQLDatabase, error) {
	mc, err := gomysql.ParseDSN(serverDSN)
	if err != nil {
		return nil, fmt.Errorf("mysql dsn: %w", err)
	}
	if err := checkLoopbackHost(mc.Net, mc.Addr); err != nil {
		return nil, err
	}
	mc.DBName = ""
	root, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		return nil, err
	}
	name := prefix + RandHex(4)
	if _, err := root.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		root.Close()
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	mc.DBName = name
	mc.ParseTime = true
	dsn := mc.FormatDSN()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		root.Close()
		return nil, err
	}
	db.SetMaxOpenConns(4)
	return &MySQLDatabase{Name: name, DSN: dsn, DB: db, root: root}, nil
}

// Drop drops the database and closes the connections.
func (m *MySQLDatabase) Drop() error {
	m.DB.Close()
	defer m.root.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := m.root.ExecContext(ctx, "DROP DATABASE IF EXISTS "+m.Name)
	return err
}

// Close closes the connections and keeps the database.
func (m *MySQLDatabase) Close() {
	m.DB.Close()
	m.root.Close()
}

// DeleteRedisPrefix deletes every key under prefix (at most 1000 SCAN
// rounds) and returns how many it deleted.
func DeleteRedisPrefix(ctx context.Context, url, prefix string) (int, error) {
	if prefix == "" || prefix == "*" {
		return 0, errors.New("refusing to delete an empty prefix")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return 0, err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var cursor uint64
	n := 0
	for range 1000 {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 1000).Result()
		if err != nil {
			return n, err
		}
		if len(keys) > 0 {
			d, err := c.Del(ctx, keys...).Result()
			if err != nil {
				return n, err
			}
			n += int(d)
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	return n, nil
}

// RandHex returns 2n random hex digits.
func RandHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
