package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// File modes. Record bodies hold secrets, so only the owner may read the
// database; the modes are set explicitly, whatever the umask.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// createMu serialises prepareFiles within the process. Closing any file
// descriptor of the database drops the POSIX locks SQLite holds on it in
// this process, so the descriptor prepareFiles creates the file with must be
// closed before any connection of this process can open the file.
var createMu sync.Mutex

// prepareFiles makes the data directory (mode 0700) and the database file
// (mode 0600) if they do not exist, makes sure the file has mode 0600, and
// returns its absolute path. It never opens an existing database file.
func prepareFiles(dir string) (string, error) {
	if dir == "" {
		return "", fmt.Errorf("store: no data directory given")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("store: data directory: %w", err)
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return "", fmt.Errorf("store: create data directory: %w", err)
		}
		if err := os.Chmod(dir, dirMode); err != nil { // the umask may have taken bits off
			return "", fmt.Errorf("store: create data directory: %w", err)
		}
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return "", fmt.Errorf("store: create data directory: %w", err)
		}
	case err != nil:
		return "", fmt.Errorf("store: data directory: %w", err)
	case !st.IsDir():
		return "", fmt.Errorf("store: data directory %s is not a directory", dir)
	}

	path := filepath.Join(dir, FileName)
	createMu.Lock()
	defer createMu.Unlock()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	switch {
	case err == nil:
		err = f.Close()
		if err == nil {
			err = os.Chmod(path, fileMode) // the umask may have taken bits off
		}
		if err == nil {
			err = syncDir(dir) // the new directory entry survives a crash
		}
		if err != nil {
			return "", fmt.Errorf("store: create database file: %w", err)
		}
	case errors.Is(err, fs.ErrExist):
	case errors.Is(err, fs.ErrPermission):
		return "", fmt.Errorf("store: create database file: data directory %s is not writable: %w", dir, err)
	default:
		return "", fmt.Errorf("store: create database file: %w", err)
	}
	if err := makePrivate(path); err != nil {
		return "", err
	}
	return path, nil
}

// privateSideFiles makes sure the WAL and shared-memory files beside the
// database are mode 0600. SQLite creates them with the database file's mode
// (it corrects the umask with fchmod), so this only repairs files left with
// another mode by something else.
func privateSideFiles(path string) error {
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if err := makePrivate(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// makePrivate takes away any permission the group and others have on a
// file; a file the store created is then mode 0600. It changes the mode by
// path: opening the file could drop SQLite's locks.
func makePrivate(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	mode := st.Mode().Perm()
	if runtime.GOOS == "windows" || mode&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, mode&0o700); err != nil {
		return fmt.Errorf("store: make %s private: %w", path, err)
	}
	return nil
}

// syncDir flushes a directory, so that entries created in it survive a
// crash. Windows has no such call; it is skipped there.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
