package wire

import (
	"encoding/json"
	"testing"
)

func TestIDReadsStringsAndNumbers(t *testing.T) {
	for in, want := range map[string]ID{
		`"model-1-2"`:             "model-1-2",
		`3847247294`:              "3847247294",
		`12345678901234567890123`: "12345678901234567890123", // beyond int64, kept as written
		`null`:                    "",
	} {
		var m ArtifactMetadata
		if err := json.Unmarshal([]byte(`{"name":"n","type":"model","id":`+in+`}`), &m); err != nil {
			t.Errorf("id %s: %v", in, err)
			continue
		}
		if m.ID != want {
			t.Errorf("id %s read as %q, want %q", in, m.ID, want)
		}
	}
	var m ArtifactMetadata
	if err := json.Unmarshal([]byte(`{"id":true}`), &m); err == nil {
		t.Error("a boolean id was accepted")
	}
	// Written as the API's string, whatever it was read from.
	b, err := json.Marshal(ArtifactLineageEdge{FromNodeArtifactID: "1", ToNodeArtifactID: "2", Relationship: "base_model"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"from_node_artifact_id":"1","relationship":"base_model","to_node_artifact_id":"2"}`; string(b) != want {
		t.Errorf("edge written as %s, want %s", b, want)
	}
}
