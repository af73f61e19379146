// Package xmppe2e holds the end-to-end tests that run real XMPP servers
// (Prosody with mod_http_upload_external, Prosody's built-in
// mod_http_file_share with JWT slots, ejabberd with mod_http_upload's
// external_secret) and real XEP-0363 clients (go-sendxmpp, slixmpp) against
// a freshly built upedge binary, all on loopback. Prosody's file share
// serving the uploads itself runs the same uploads as a control.
//
// The package has no code of its own; everything is in the _test.go files.
// The Debian packages the tests need are installed by scripts/e2e-setup.sh
// when missing (as root, or always under CI=true); without them and without
// root the tests skip with a message.
package xmppe2e
