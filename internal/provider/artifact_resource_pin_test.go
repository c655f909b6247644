package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/wire"
)

// A create with expected_sha256: the stored bundle must have that digest;
// otherwise the artifact this create registered is deleted again and the
// error names both digests (or the registry's reason for storing none).
func TestArtifactResourceCreatePinned(t *testing.T) {
	const (
		url    = "https://huggingface.co/o/x"
		pinned = "0000000000000000000000000000000000000000000000000000000000000001"
		stored = "00000000000000000000000000000000000000000000000000000000000000ff"
	)
	type registry struct {
		data              wire.ArtifactData
		createStatus      int // the create's answer; 409 for an artifact the registry already holds
		deleteStatus      int
		deletes           atomic.Int32
		deleted           atomic.Bool
		adoptExistingFlag bool
	}
	for _, tt := range []struct {
		name        string
		reg         *registry
		wantError   bool
		wantDeletes int32
		wantState   bool
		wantDetail  []string
	}{
		{
			name:      "stored bundle has the pinned digest",
			reg:       &registry{data: wire.ArtifactData{Bundle: &wire.ArtifactBundle{Sha256: pinned, SizeBytes: 5}}, createStatus: 201},
			wantState: true,
		},
		{
			name:        "stored bundle has another digest",
			reg:         &registry{data: wire.ArtifactData{Bundle: &wire.ArtifactBundle{Sha256: stored, SizeBytes: 5}}, createStatus: 201, deleteStatus: 200},
			wantError:   true,
			wantDeletes: 1,
			wantDetail:  []string{"SHA-256 " + stored + " (5 bytes)", "not the expected " + pinned, `id "42") was deleted again`, "nothing is left"},
		},
		{
			// A deferred ingest and rating (202): the artifact is checked once
			// it appears, and deleted then.
			name:        "accepted (202), then another digest",
			reg:         &registry{data: wire.ArtifactData{Bundle: &wire.ArtifactBundle{Sha256: stored, SizeBytes: 5}}, createStatus: 202, deleteStatus: 200},
			wantError:   true,
			wantDeletes: 1,
			wantDetail:  []string{"SHA-256 " + stored, "deleted again"},
		},
		{
			name:        "no bundle stored, with the registry's reason",
			reg:         &registry{data: wire.ArtifactData{BundleNotStored: "larger than BUNDLE_MAX_BYTES"}, createStatus: 201, deleteStatus: 200},
			wantError:   true,
			wantDeletes: 1,
			wantDetail:  []string{`stores no bundle for it (the registry's reason: "larger than BUNDLE_MAX_BYTES")`, pinned, "deleted again"},
		},
		{
			name:        "a registry that reports no bundles",
			reg:         &registry{createStatus: 201, deleteStatus: 200},
			wantError:   true,
			wantDeletes: 1,
			wantDetail:  []string{"reports no stored bundle", "needs a registry that reports", "deleted again"},
		},
		{
			name:        "deleting the artifact again fails",
			reg:         &registry{data: wire.ArtifactData{Bundle: &wire.ArtifactBundle{Sha256: stored, SizeBytes: 5}}, createStatus: 201, deleteStatus: 400},
			wantError:   true,
			wantDeletes: 1,
			wantState:   true,
			wantDetail:  []string{stored, "Deleting that artifact again failed", "400 Bad Request", "marked tainted"},
		},
		{
			name: "adopted with adopt_existing: left alone",
			reg: &registry{data: wire.ArtifactData{Bundle: &wire.ArtifactBundle{Sha256: stored, SizeBytes: 5}}, createStatus: 409,
				adoptExistingFlag: true},
			wantError:  true,
			wantDetail: []string{"already held", "adopt_existing", "left in the registry as it is", stored},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg := tt.reg
			art := func() []byte {
				a := wire.Artifact{Metadata: wire.ArtifactMetadata{Name: "x", ID: "42", Type: "model"}, Data: reg.data}
				a.Data.URL, a.Data.DownloadURL = url, "http://registry/download/42"
				b, _ := json.Marshal(a)
				return b
			}
			r, value, s := artifactResourceWith(t, func(w http.ResponseWriter, req *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case req.Method == http.MethodPost && req.URL.Path == "/artifact/model":
					w.WriteHeader(reg.createStatus)
					if reg.createStatus == http.StatusConflict {
						_, _ = w.Write([]byte(`{"description":"exists"}`))
						return
					}
					_, _ = w.Write(art())
				case req.Method == http.MethodGet && req.URL.Path == "/artifact/byName/x":
					_, _ = w.Write([]byte(`[{"name":"x","id":"42","type":"model"}]`))
				case req.Method == http.MethodGet && req.URL.Path == "/artifacts/model/42":
					if reg.deleted.Load() {
						w.WriteHeader(http.StatusNotFound)
						_, _ = w.Write([]byte(`{"description":"Artifact does not exist."}`))
						return
					}
					_, _ = w.Write(art())
				case req.Method == http.MethodDelete && req.URL.Path == "/artifacts/model/42":
					reg.deletes.Add(1)
					reg.deleted.Store(reg.deleteStatus == http.StatusOK)
					w.WriteHeader(reg.deleteStatus)
					_, _ = w.Write([]byte(`{"description":"refused"}`))
				default:
					http.Error(w, "unexpected "+req.Method+" "+req.URL.Path, http.StatusBadRequest)
				}
			})
			resp := createModel(context.Background(), r, value, s, url, map[string]tftypes.Value{
				"expected_sha256": tftypes.NewValue(tftypes.String, pinned),
				"adopt_existing":  tftypes.NewValue(tftypes.Bool, reg.adoptExistingFlag),
			})
			if got := reg.deletes.Load(); got != tt.wantDeletes {
				t.Errorf("%d DELETEs, want %d", got, tt.wantDeletes)
			}
			if inState := !resp.State.Raw.IsNull(); inState != tt.wantState {
				t.Errorf("artifact in state: %v, want %v", inState, tt.wantState)
			}
			if !tt.wantError {
				if resp.Diagnostics.HasError() {
					t.Fatal(resp.Diagnostics)
				}
				var got artifactResourceModel
				resp.Diagnostics.Append(resp.State.Get(context.Background(), &got)...)
				if got.SHA256.ValueString() != pinned || got.SizeBytes.ValueInt64() != 5 || !got.BundleNotStored.IsNull() {
					t.Errorf("state sha256 %s, size_bytes %s, bundle_not_stored %s", got.SHA256, got.SizeBytes, got.BundleNotStored)
				}
				return
			}
			if !resp.Diagnostics.HasError() {
				t.Fatal("want an error")
			}
			d := resp.Diagnostics.Errors()[0]
			if d.Summary() != pinMismatchSummary {
				t.Errorf("summary %q, want %q", d.Summary(), pinMismatchSummary)
			}
			for _, want := range tt.wantDetail {
				if !strings.Contains(d.Detail(), want) {
					t.Errorf("detail %q: want %q in it", d.Detail(), want)
				}
			}
		})
	}
}

func TestSHA256Validator(t *testing.T) {
	const valid = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, tt := range []struct {
		value string
		ok    bool
	}{
		{valid, true},
		{strings.ToUpper(valid), false},
		{"sha256:" + valid, false},
		{valid[:63], false},
		{valid + "0", false},
		{"", false},
	} {
		if err := sha256Hex().(stringCheck).check(tt.value); (err == nil) != tt.ok {
			t.Errorf("%q: %v, want ok %v", tt.value, err, tt.ok)
		}
	}
}
