package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/snapshot"
	"github.com/trellisproject/trellis/store"
)

// AdminCredentialsFile is the name, in the data directory, of the file the
// first start writes the administrator's credentials to.
const AdminCredentialsFile = "admin-credentials"

// AdminProfile is the profile name in that file.
const AdminProfile = "trellis"

// administratorPolicy allows everything, as AWS's AdministratorAccess does.
const administratorPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// Bootstrap gives a new trellis its first identity: an account, a user
// "admin" in it with full access, and an access key, whose credentials it
// writes once, in the AWS shared-credentials format, to
// DIR/admin-credentials (mode 0600). It does nothing when identities are
// already configured, and reports whether it created them. There is no
// unauthenticated way in: whoever can read that file is the administrator.
func Bootstrap(ctx context.Context, st store.Store, dataDir, account string, random io.Reader, now time.Time) (created bool, path string, err error) {
	path = filepath.Join(dataDir, AdminCredentialsFile)
	var exists bool
	err = st.View(ctx, func(tx store.ReadTx) error {
		_, version, err := snapshot.ReadDeclared(tx)
		exists = version != 0
		return err
	})
	if err != nil || exists {
		return false, path, err
	}
	userARN := "arn:aws:iam::" + account + ":user/admin"
	key, err := identity.NewAccessKey(random, userARN, now)
	if err != nil {
		return false, path, err
	}
	in := identity.Input{
		Accounts: []identity.Account{{ID: account, Name: "trellis"}},
		Users: []identity.User{{Account: account, Name: "admin",
			InlinePolicies: []identity.InlinePolicy{{Name: "AdministratorAccess", Document: json.RawMessage(administratorPolicy)}}}},
		AccessKeys: []identity.AccessKey{key},
	}
	if _, err := identity.New(in); err != nil {
		return false, path, fmt.Errorf("bootstrap identities: %w", err)
	}
	// Write the file first: if the commit fails or the process dies before
	// it, the next start bootstraps again and overwrites the file.
	content := fmt.Sprintf("# trellis administrator (%s), created %s.\n# Keep this file private: whoever reads it administers trellis.\n# Use it with: AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=%s\n[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		userARN, now.UTC().Format(time.RFC3339), path, AdminProfile, AdminProfile, key.ID, key.Secret)
	if err := writePrivateFile(path, []byte(content)); err != nil {
		return false, path, fmt.Errorf("writing the administrator's credentials: %w", err)
	}
	_, err = st.Update(ctx, func(tx store.Tx) error { return snapshot.WriteDeclared(tx, in, 0) })
	if errors.Is(err, store.ErrExists) {
		// Another process bootstrapped first; its credentials are the ones.
		return false, path, nil
	}
	if err != nil {
		_ = os.Remove(path)
		return false, path, err
	}
	return true, path, nil
}

// writePrivateFile writes data to path with mode 0600, durably.
func writePrivateFile(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
