// Package defaultadmin holds the credentials of the registry's default admin,
// the user every registry of the API has at start and after a reset (the
// spec's example). The server creates it; the test stack and the quickstart
// hand its credentials to the provider. A package of its own, since the
// server's tests use the test stack, which therefore cannot import the server.
package defaultadmin

// Name is the default admin's user name.
const Name = "ece30861defaultadminuser"

// Password is the spec's example password, used unless REGISTRY_ADMIN_PASSWORD
// sets another. The quotes, the backtick and the SQL are deliberate: it must
// work as a password and nothing more.
const Password = "correcthorsebatterystaple123(!__+@**(A'\"`;DROP TABLE artifacts;"
