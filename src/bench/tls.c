/* tls.c — TLS for mqlb bench (see tls.h). */
#include "bench/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "bench/report.h"
#include "common/addr.h"
#include "common/log.h"
#include "common/tlserr.h"
#include "event/event.h"

/* A new session from the server (TLS 1.3: a ticket after the handshake):
 * kept by the client for its next connect. Returning 1 takes ownership. */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct bench_client *c = SSL_get_app_data(ssl);
	if (!c)
		return 0;
	if (c->tls_sess)
		SSL_SESSION_free(c->tls_sess);
	c->tls_sess = sess;
	return 1;
}

static int ctx_files(SSL_CTX *ctx, const struct bench_opts *o, char *err, size_t errlen)
{
	char e[256];
	if (o->tls_cafile && SSL_CTX_load_verify_locations(ctx, o->tls_cafile, NULL) != 1) {
		snprintf(err, errlen, "--cafile %s: %s", o->tls_cafile,
			 tls_err_string(e, sizeof(e)));
		return -1;
	}
	if (!o->tls_cafile && !o->tls_insecure && SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "--tls: no --cafile and no system CA store");
		return -1;
	}
	if (o->tls_cert && SSL_CTX_use_certificate_chain_file(ctx, o->tls_cert) != 1) {
		snprintf(err, errlen, "--cert %s: %s", o->tls_cert, tls_err_string(e, sizeof(e)));
		return -1;
	}
	if (o->tls_key && SSL_CTX_use_PrivateKey_file(ctx, o->tls_key, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "--key %s: %s", o->tls_key, tls_err_string(e, sizeof(e)));
		return -1;
	}
	if (o->tls_cert && SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "--key %s does not match --cert %s", o->tls_key, o->tls_cert);
		return -1;
	}
	return 0;
}

int bench_tls_ctx_new(struct bench_run *run, char *err, size_t errlen)
{
	const struct bench_opts *o = &run->o;
	if (!o->tls)
		return 0;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		snprintf(err, errlen, "--tls: cannot create an OpenSSL context");
		return -1;
	}
	int lo = o->tls_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	int hi = o->tls_version == 12 ? TLS1_2_VERSION : TLS1_3_VERSION;
	SSL_CTX_set_min_proto_version(ctx, lo);
	SSL_CTX_set_max_proto_version(ctx, hi);
	/* the tx buffer may grow (move) between a partial write and its retry;
	 * read_ahead fills the buffer in one recv() instead of two per record */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_read_ahead(ctx, 1);
	/* an EOF without close_notify is a lost connection (counted as such),
	 * not a fatal TLS error: a fatal one would make the session unresumable */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_verify(ctx, o->tls_insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	/* sessions live with their client (on_new_session), not in a shared cache */
	SSL_CTX_set_session_cache_mode(ctx,
				       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, on_new_session);
	if (ctx_files(ctx, o, err, errlen) < 0) {
		SSL_CTX_free(ctx);
		return -1;
	}
	run->tls_ctx = ctx;
	return 0;
}

void bench_tls_ctx_free(struct bench_run *run)
{
	SSL_CTX_free(run->tls_ctx);
	run->tls_ctx = NULL;
}

/* The server name for SNI and verification: --sni, else the -h entry when it
 * was given as a name; NULL for an address literal. */
static const char *server_name(const struct bench_client *c)
{
	const struct bench_opts *o = &c->w->run->o;
	if (o->tls_sni)
		return o->tls_sni;
	return o->target_name[c->target][0] ? o->target_name[c->target] : NULL;
}

int bench_tls_start(struct bench_client *c)
{
	struct bench_run *run = c->w->run;
	SSL *ssl = SSL_new(run->tls_ctx);
	if (!ssl || SSL_set_fd(ssl, c->fd) != 1) {
		SSL_free(ssl);
		c->w->tls_fail[BTLS_PROTOCOL]++;
		return -1;
	}
	SSL_set_app_data(ssl, c);
	const char *name = server_name(c);
	if (name) {
		SSL_set_tlsext_host_name(ssl, name); /* RFC 6066 §3: names only */
		if (!run->o.tls_insecure)
			SSL_set1_host(ssl, name);
	} else if (!run->o.tls_insecure) {
		/* an address literal: the certificate must carry it as an IP SAN */
		char ip[ADDR_STRLEN];
		addr_format_host(&run->o.targets[c->target], ip, sizeof(ip));
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip);
	}
	if (c->tls_sess)
		SSL_set_session(ssl, c->tls_sess);
	SSL_set_connect_state(ssl);
	c->ssl = ssl;
	c->tls_up = false;
	return 0;
}

static void count_proto(struct bench_worker *w, unsigned long e)
{
	e = ERR_PACK(ERR_GET_LIB(e), 0, ERR_GET_REASON(e));
	for (int i = 0; i < BTLS_PROTO_KINDS; i++) {
		if (w->tls_proto[i].n && w->tls_proto[i].err != e)
			continue;
		w->tls_proto[i].err = e;
		w->tls_proto[i].n++;
		return;
	}
	w->tls_fail[BTLS_PROTOCOL]++;
}

/* Counts a failed handshake (or a TLS error before the CONNACK) by reason.
 * ssl_e is SSL_get_error's answer. */
static void count_fail(struct bench_client *c, int ssl_e)
{
	struct bench_worker *w = c->w;
	long v = SSL_get_verify_result(c->ssl);
	unsigned long e = ERR_peek_error();
	LIVE_ADD(w, errors, 1);
	if (ssl_e == SSL_ERROR_SSL && v != X509_V_OK && !w->run->o.tls_insecure &&
	    ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
		w->tls_verify[v < BTLS_VERIFY_CODES ? v : BTLS_VERIFY_CODES - 1]++;
	} else if (!c->tls_up && SSL_get_state(c->ssl) == TLS_ST_CW_CLNT_HELLO &&
		   (ssl_e == SSL_ERROR_SYSCALL || ssl_e == SSL_ERROR_ZERO_RETURN ||
		    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		/* a plain MQTT listener takes the ClientHello for a malformed
		 * packet and closes without a byte of TLS */
		w->tls_fail[BTLS_NOT_TLS]++;
	} else if (ssl_e == SSL_ERROR_SSL && e &&
		   ERR_GET_REASON(e) != SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		count_proto(w, e);
	} else {
		w->tls_fail[BTLS_CLOSED]++;
	}
	char buf[256];
	log_debug("bench: %s: TLS: %s (verify: %s)", c->client_id, tls_err_string(buf, sizeof(buf)),
		  X509_verify_cert_error_string(v));
	ERR_clear_error();
}

int bench_tls_handshake(struct bench_client *c)
{
	ERR_clear_error();
	int r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->tls_up = true;
		c->w->tls_handshakes++;
		if (SSL_session_reused(c->ssl))
			c->w->tls_resumed++;
		return 1;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		event_set(c->w->el, c->fd, e == SSL_ERROR_WANT_READ ? EVENT_READ : EVENT_WRITE);
		return 0;
	}
	count_fail(c, e);
	return -1;
}

/* The answer of a failed SSL_read/SSL_write as a recv()/send() result. */
static ssize_t io_fail(struct bench_client *c, int r, bool reading)
{
	int e = SSL_get_error(c->ssl, r), err = errno;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return -EAGAIN;
	/* before the CONNACK it is a failed handshake: TLS 1.3 sends the
	 * server's verdict on our certificate (an alert, or just a reset) after
	 * our side finished; later, a loss like any other */
	if (c->state == BCS_WAIT_CONNACK) {
		count_fail(c, e);
		return -EPROTO;
	}
	bool eof = e == SSL_ERROR_ZERO_RETURN ||
		   ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING ||
		   (e == SSL_ERROR_SYSCALL && !err);
	ERR_clear_error();
	if (eof)
		return reading ? 0 : -EPIPE;
	if (e == SSL_ERROR_SYSCALL)
		return -err;
	return -EPROTO;
}

ssize_t bench_tls_read(struct bench_client *c, void *buf, size_t len)
{
	ERR_clear_error();
	int r = SSL_read(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	return r > 0 ? r : io_fail(c, r, true);
}

ssize_t bench_tls_write(struct bench_client *c, const void *buf, size_t len)
{
	ERR_clear_error();
	int r = SSL_write(c->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len);
	return r > 0 ? r : io_fail(c, r, false);
}

bool bench_tls_pending(const struct bench_client *c)
{
	return c->ssl && c->tls_up && SSL_has_pending(c->ssl);
}

void bench_tls_count_timeout(struct bench_client *c)
{
	c->w->tls_fail[BTLS_TIMEOUT]++;
	LIVE_ADD(c->w, errors, 1);
}

void bench_tls_close(struct bench_client *c, bool orderly)
{
	if (!c->ssl)
		return;
	if (orderly && c->tls_up)
		SSL_shutdown(c->ssl); /* close_notify, best effort (non-blocking) */
	/* a connection lost without close_notify would make SSL_free mark its
	 * session not resumable; since TLS 1.1 (RFC 4346 §7.2.1) a lost
	 * connection no longer forbids resuming, and resuming after a loss is
	 * the point of keeping it */
	SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(c->ssl);
	ERR_clear_error();
	c->ssl = NULL;
	c->tls_up = false;
}

void bench_tls_free(struct bench_client *c)
{
	bench_tls_close(c, false);
	if (c->tls_sess)
		SSL_SESSION_free(c->tls_sess);
	c->tls_sess = NULL;
}

static const char *const fail_keys[BTLS_FAIL_COUNT] = {
    [BTLS_PROTOCOL] = "protocol", /* past BTLS_PROTO_KINDS distinct reasons */
    [BTLS_NOT_TLS] = "protocol: no TLS answer to the ClientHello (not a TLS listener?)",
    [BTLS_TIMEOUT] = "timeout",
    [BTLS_CLOSED] = "closed",
};

void bench_tls_collect(struct bench_report *r, const struct bench_worker *ws, unsigned nw)
{
	char key[BENCH_ERRKEY_MAX];
	r->tls = true;
	for (unsigned i = 0; i < nw; i++) {
		const struct bench_worker *w = &ws[i];
		r->tls_handshakes += w->tls_handshakes;
		r->tls_resumed += w->tls_resumed;
		for (int k = 0; k < BTLS_FAIL_COUNT; k++)
			if (w->tls_fail[k])
				bench_report_add_tls_fail(r, fail_keys[k], w->tls_fail[k]);
		for (int k = 0; k < BTLS_PROTO_KINDS && w->tls_proto[k].n; k++) {
			const char *s = ERR_reason_error_string(w->tls_proto[k].err);
			snprintf(key, sizeof(key), "protocol: %s", s ? s : "unknown");
			bench_report_add_tls_fail(r, key, w->tls_proto[k].n);
		}
		for (int v = 0; v < BTLS_VERIFY_CODES; v++)
			if (w->tls_verify[v]) {
				snprintf(key, sizeof(key), "verify: %s",
					 X509_verify_cert_error_string(v));
				bench_report_add_tls_fail(r, key, w->tls_verify[v]);
			}
	}
}
