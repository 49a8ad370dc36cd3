//go:build unix

package store

import (
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// checkModes checks the modes of the data directory and of every database
// file in it.
func checkModes(t *testing.T, dir string, wantDir fs.FileMode) {
	t.Helper()
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != wantDir {
		t.Errorf("data directory mode %v, want %v", st.Mode().Perm(), wantDir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), FileName) {
			continue
		}
		seen++
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != fileMode {
			t.Errorf("%s has mode %v, want %v", e.Name(), info.Mode().Perm(), fileMode)
		}
	}
	if seen == 0 {
		t.Error("no database files")
	}
}

// TestFileModes checks that the data directory is mode 0700 and the
// database, WAL and shared-memory files are mode 0600 whatever the umask.
// It changes the process umask, so it must not run in parallel.
func TestFileModes(t *testing.T) {
	tests := []struct {
		name   string
		umask  int
		newDir bool
	}{
		{"umask 0 new directory", 0, true},
		{"umask 022 new directory", 0o022, true},
		{"umask 077 new directory", 0o077, true},
		{"umask 0", 0, false},
		{"umask 277", 0o277, false}, // would make the file read-only
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			os.Chmod(base, 0o755)
			dir := base
			wantDir := fs.FileMode(0o755) // an existing directory keeps its mode
			if tt.newDir {
				dir = filepath.Join(base, "parent", "data")
				wantDir = dirMode
			}
			old := syscall.Umask(tt.umask)
			defer syscall.Umask(old)

			s, err := OpenSQLite(context.Background(), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			mustCreate(t, s, rec("accesskey", "AKIA1", "", "", `{"secret":"x"}`))
			if _, err := os.Stat(filepath.Join(dir, FileName+"-wal")); err != nil {
				t.Errorf("no WAL file while open: %v", err)
			}
			checkModes(t, dir, wantDir)
			// A second store, as another process would, opens the existing
			// files.
			s2 := openDir(t, dir, Options{})
			mustCreate(t, s2, rec("accesskey", "AKIA2", "", "", `{"secret":"y"}`))
			checkModes(t, dir, wantDir)
			s2.Close()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			checkModes(t, dir, wantDir)
		})
	}
}

// TestFileModesRepaired checks that Open makes private database files that
// something else left readable by others.
func TestFileModesRepaired(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, dirMode)
	s := openDir(t, dir, Options{})
	mustCreate(t, s, rec("accesskey", "AKIA1", "", "", `{}`))
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Chmod(filepath.Join(dir, FileName+suffix), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s2 := openDir(t, dir, Options{})
	mustGet(t, s2, "accesskey", "AKIA1")
	checkModes(t, dir, dirMode)
}

// TestOpenReadOnlyDir opens a store in a directory the process may not
// write: with no database yet, and with a database it may not write.
// Running as root, which may write anywhere, it runs the opens in a child
// process as the user nobody.
func TestOpenReadOnlyDir(t *testing.T) {
	base, err := os.MkdirTemp("", "trellis-store-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)

	noDB := filepath.Join(base, "empty")
	os.Mkdir(noDB, 0o755)
	withDB := filepath.Join(base, "withdb")
	writeStore(t, withDB, 3)
	os.Chmod(withDB, 0o755)
	notCreated := filepath.Join(noDB, "data")
	// A database the opener owns and may write, in a directory it may not
	// write: SQLite cannot create the WAL beside it.
	roDir := filepath.Join(base, "rodir")
	writeStore(t, roDir, 3)
	os.Chmod(roDir, 0o755)
	if os.Geteuid() == 0 {
		os.Chown(filepath.Join(roDir, FileName), 65534, 65534)
	}

	tests := []struct {
		name string
		dir  string
		want string
	}{
		{"no database", noDB, "not writable"},
		{"cannot create directory", notCreated, "create data directory"},
		{"database of another user", withDB, "cannot open"},
		{"read-only directory", roDir, "cannot open"},
	}
	if os.Geteuid() != 0 {
		for _, d := range []string{noDB, withDB, roDir} {
			os.Chmod(d, 0o555)
			defer os.Chmod(d, 0o755)
		}
		os.Chmod(filepath.Join(withDB, FileName), 0o400)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, err := OpenSQLite(context.Background(), tt.dir, Options{})
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded")
				}
				t.Logf("%v", err)
				if !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %q does not say %q", err, tt.want)
				}
			})
		}
		return
	}

	// As root: copy the test binary where nobody may run it.
	bin := filepath.Join(base, "store.test")
	if err := copyFile(os.Args[0], bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, "-test.run=^TestHelperProcess$")
			cmd.Env = append(os.Environ(), helperEnv+"=open", helperDirEnv+"="+tt.dir)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Skipf("cannot run the test as nobody: %v\n%s", err, out)
			}
			got := string(out)
			t.Logf("as nobody: %s", strings.TrimSpace(got))
			if !strings.Contains(got, "open error:") {
				t.Fatalf("Open as nobody did not fail:\n%s", got)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("error does not say %q:\n%s", tt.want, got)
			}
		})
	}
}

func copyFile(from, to string, mode fs.FileMode) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
