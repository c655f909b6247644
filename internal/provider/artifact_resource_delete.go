package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/trustworthy-registry/terraform-provider-registry/internal/client"
)

// maxDeleteRounds bounds the DELETEs sent for one artifact that a registry
// reports missing (404) and then holds again.
const maxDeleteRounds = 3

// deleteArtifact deletes the artifact and confirms that it is gone; nil
// means it is. The registry's word that it deleted it (2xx) is checked with
// one GET. Its word that it has no such artifact (its JSON 404), or a DELETE
// it does not route (non-JSON 404, 405, 501: DELETE is NON-BASELINE), is
// not taken at face value: the artifact was in state, read by the refresh,
// so the provider believes it gone only when delete_confirm_reads GETs in a
// row, spread over delete_confirm_window, find nothing. A store that flaps
// (404 for a moment, then the artifact again) gets the DELETE again, up to
// maxDeleteRounds times; then the destroy fails. A GET that returns the
// artifact is never a success.
func (r *ArtifactResource) deleteArtifact(ctx context.Context, c *client.Client, typ, id string) diag.Diagnostic {
	const summary = "Cannot delete registry_artifact"
	reads, window := r.data.registry.DeleteConfirmReads, r.data.registry.DeleteConfirmWindow
	for round := 1; ; round++ {
		delErr := c.DeleteArtifact(ctx, typ, id)
		if delErr != nil && !client.IsNotFound(delErr) && !client.IsUnrouted(delErr) {
			return diag.NewErrorDiagnostic(summary,
				fmt.Sprintf("Deleting the artifact %s/%s failed: %s. It stays in the Terraform state.", typ, id, r.data.describeError(delErr)))
		}
		if delErr == nil {
			_, getErr := c.GetArtifact(ctx, typ, id)
			switch {
			case client.IsNotFound(getErr):
				return nil
			case getErr != nil:
				// The registry said it deleted the artifact; the check could
				// not be made, which does not contradict it.
				tflog.Warn(ctx, "could not confirm the deletion with a GET", map[string]any{"type": typ, "id": id, "error": getErr.Error()})
				return nil
			}
			return diag.NewErrorDiagnostic(summary,
				fmt.Sprintf("The registry answered the deletion of the artifact %s/%s with success, but a GET still returns "+
					"the artifact. It stays in the Terraform state; check the registry, then run the destroy again.", typ, id))
		}

		seen, getErr := readsSeeArtifact(ctx, c, typ, id, reads, window)
		switch {
		case getErr != nil && client.IsUnrouted(delErr):
			return diag.NewErrorDiagnostic(summary,
				fmt.Sprintf("Deleting the artifact %s/%s is not confirmed: %s, and checking whether the artifact still exists "+
					"failed: %s. It stays in the Terraform state; run the destroy again.", typ, id, client.UnroutedDetail(delErr), r.data.describeError(getErr)))
		case getErr != nil:
			return diag.NewErrorDiagnostic(summary,
				fmt.Sprintf("The registry answered the deletion of the artifact %s/%s with %s, but checking that the artifact "+
					"is gone failed: %s. It stays in the Terraform state; run the destroy again.", typ, id, delErr, r.data.describeError(getErr)))
		case !seen:
			return nil
		case client.IsUnrouted(delErr):
			return diag.NewErrorDiagnostic("Registry does not support deleting artifacts",
				fmt.Sprintf("The artifact %s/%s was not deleted: %s. Deleting artifacts (DELETE /artifacts/{type}/{id}) is "+
					"NON-BASELINE in the registry API, so this registry may not offer it. The artifact is still in the registry "+
					"and stays in the Terraform state. Either delete it on the registry's side and run the destroy again, or "+
					"stop managing it with Terraform without deleting it: terraform state rm <address of this resource>.",
					typ, id, client.UnroutedDetail(delErr)))
		case round < maxDeleteRounds:
			tflog.Warn(ctx, "the registry answered DELETE with 404 but still holds the artifact; sending DELETE again",
				map[string]any{"type": typ, "id": id, "round": round})
			continue
		}
		return diag.NewErrorDiagnostic(summary,
			fmt.Sprintf("The registry's answers about the artifact %s/%s keep disagreeing: it answered %d DELETEs with \"not "+
				"found\" (%s), but each time a GET within %s read the artifact again. The registry still holds it (its store may lose or "+
				"undo writes, or its 404 may mean that it does not offer DELETE), so it stays in the Terraform state. Check "+
				"the registry, then run the destroy again; to stop managing the artifact without deleting it: "+
				"terraform state rm <address of this resource>.", typ, id, round, delErr, window))
	}
}

// readsSeeArtifact reads the artifact up to reads times, the first at once
// and the others spread evenly over window, and reports whether a read saw
// it (it stops there). Only the registry's own 404 counts as absent; any
// other failure is returned.
func readsSeeArtifact(ctx context.Context, c *client.Client, typ, id string, reads int, window time.Duration) (seen bool, err error) {
	reads = max(reads, 1)
	gap := window / time.Duration(max(reads-1, 1))
	for i := range reads {
		if i > 0 {
			timer := time.NewTimer(gap)
			select {
			case <-ctx.Done():
				timer.Stop()
				return false, ctx.Err()
			case <-timer.C:
			}
		}
		_, err := c.GetArtifact(ctx, typ, id)
		switch {
		case err == nil:
			return true, nil
		case !client.IsNotFound(err):
			return false, err
		}
	}
	return false, nil
}
