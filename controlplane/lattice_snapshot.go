package controlplane

import (
	"context"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

// LoadLatticeSnapshot builds a model.Snapshot of every VPC Lattice resource
// in the store, read in one consistent transaction. The snapshot's Seq is the
// store's change sequence number read just before the transaction, so the
// snapshot reflects at least that change (a gateway that rebuilds on every
// value of Store.Watch never misses one).
func LoadLatticeSnapshot(ctx context.Context, st store.Store) (*model.Snapshot, error) {
	seq, err := st.Seq(ctx)
	if err != nil {
		return nil, err
	}
	b := model.NewSnapshotBuilder()
	b.SetSeq(seq)
	err = st.View(ctx, func(tx store.ReadTx) error {
		for _, kind := range model.SnapshotKinds {
			after := ""
			for {
				recs, next, err := tx.List(store.Kind(kind), store.ListOptions{Limit: store.MaxListLimit, After: after})
				if err != nil {
					return err
				}
				for _, r := range recs {
					if err := b.Add(kind, r.Body); err != nil {
						return err
					}
				}
				if next == "" {
					break
				}
				after = next
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.Build()
}
