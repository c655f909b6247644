package rating

import "strings"

// LicenseClass groups licenses by what they allow for fine-tuning a model
// and running it for inference. The table is deliberately small; anything
// not in it is LicenseUnknown, which scores 0 and is never "compatible".
type LicenseClass int

const (
	LicenseUnknown LicenseClass = iota
	// LicensePermissive: use, modify and redistribute with attribution.
	LicensePermissive
	// LicenseWeakCopyleft: modifications of the licensed work stay open;
	// combining with other works is allowed.
	LicenseWeakCopyleft
	// LicenseStrongCopyleft: derived works must carry the same license.
	LicenseStrongCopyleft
	// LicenseRestrictedUse: open weights with use restrictions (RAIL).
	LicenseRestrictedUse
	// LicenseNonCommercial: no commercial use.
	LicenseNonCommercial
)

var licenseClasses = map[string]LicenseClass{
	"mit": LicensePermissive, "apache-2.0": LicensePermissive, "bsd-2-clause": LicensePermissive,
	"bsd-3-clause": LicensePermissive, "bsd": LicensePermissive, "isc": LicensePermissive,
	"unlicense": LicensePermissive, "cc0-1.0": LicensePermissive, "bsl-1.0": LicensePermissive,
	"zlib": LicensePermissive, "cc-by-4.0": LicensePermissive, "cc-by-3.0": LicensePermissive,
	"artistic-2.0": LicensePermissive, "afl-3.0": LicensePermissive, "wtfpl": LicensePermissive,

	"lgpl-2.1": LicenseWeakCopyleft, "lgpl-3.0": LicenseWeakCopyleft, "lgpl-lr": LicenseWeakCopyleft,
	"mpl-2.0": LicenseWeakCopyleft, "epl-2.0": LicenseWeakCopyleft, "cc-by-sa-4.0": LicenseWeakCopyleft,
	"cc-by-sa-3.0": LicenseWeakCopyleft, "odbl": LicenseWeakCopyleft, "cdla-sharing-1.0": LicenseWeakCopyleft,

	"gpl-2.0": LicenseStrongCopyleft, "gpl-3.0": LicenseStrongCopyleft, "agpl-3.0": LicenseStrongCopyleft,
	"gfdl": LicenseStrongCopyleft,

	"openrail": LicenseRestrictedUse, "openrail++": LicenseRestrictedUse, "creativeml-openrail-m": LicenseRestrictedUse,
	"bigscience-openrail-m": LicenseRestrictedUse, "bigscience-bloom-rail-1.0": LicenseRestrictedUse,
	"bigcode-openrail-m": LicenseRestrictedUse,

	"cc-by-nc-4.0": LicenseNonCommercial, "cc-by-nc-sa-4.0": LicenseNonCommercial, "cc-by-nc-nd-4.0": LicenseNonCommercial,
	"cc-by-nc-3.0": LicenseNonCommercial, "cc-by-nc-2.0": LicenseNonCommercial, "cc-by-nd-4.0": LicenseNonCommercial,
}

// NormalizeLicense lowercases a Hugging Face license id or an SPDX id and
// folds the SPDX "-only"/"-or-later" suffixes of the GNU licenses.
func NormalizeLicense(id string) string {
	id = strings.ToLower(strings.TrimSpace(id))
	for _, suffix := range []string{"-only", "-or-later", "+"} {
		if strings.HasPrefix(id, "gpl-") || strings.HasPrefix(id, "lgpl-") || strings.HasPrefix(id, "agpl-") || strings.HasPrefix(id, "gfdl") {
			id = strings.TrimSuffix(id, suffix)
		}
	}
	if strings.HasPrefix(id, "gfdl") {
		return "gfdl"
	}
	return id
}

// ClassOf classifies a license id (Hugging Face or SPDX spelling).
func ClassOf(id string) LicenseClass {
	return licenseClasses[NormalizeLicense(id)]
}

// licenseScore is the license metric of a class.
func licenseScore(c LicenseClass) float64 {
	switch c {
	case LicensePermissive:
		return 1
	case LicenseWeakCopyleft:
		return 0.8
	case LicenseStrongCopyleft:
		return 0.6
	case LicenseRestrictedUse:
		return 0.5
	case LicenseNonCommercial:
		return 0.2
	}
	return 0
}

// Compatible reports whether a model under modelLicense may be fine-tuned
// and run for inference together with code under codeLicense (both
// Hugging Face or SPDX ids). The table, model class x code class:
//
//	              permissive  weak-copyleft  strong-copyleft  restricted-use
//	permissive        yes          yes            yes              yes
//	weak copyleft     yes          yes            yes              yes
//	strong copyleft   yes          yes         same id only         no
//	restricted use    yes          yes             no               yes
//
// Non-commercial and unknown licenses (or none) are never compatible: the
// combined work could not be used freely. Apache-2.0 and GPL-2.0 are the
// known exception among the "yes" cells (the FSF deems them incompatible).
func Compatible(modelLicense, codeLicense string) bool {
	m, c := NormalizeLicense(modelLicense), NormalizeLicense(codeLicense)
	mc, cc := ClassOf(m), ClassOf(c)
	if mc == LicenseUnknown || cc == LicenseUnknown || mc == LicenseNonCommercial || cc == LicenseNonCommercial {
		return false
	}
	if (m == "apache-2.0" && c == "gpl-2.0") || (m == "gpl-2.0" && c == "apache-2.0") {
		return false
	}
	switch {
	case mc == LicenseStrongCopyleft && cc == LicenseStrongCopyleft:
		return m == c
	case (mc == LicenseStrongCopyleft && cc == LicenseRestrictedUse) || (mc == LicenseRestrictedUse && cc == LicenseStrongCopyleft):
		return false
	}
	return true
}
