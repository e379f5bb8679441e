/* proxy_tls.c — TLS at the proxy's edge (OpenSSL): the listener's context
 * (--tls-cert/--tls-key, client certificates with --tls-ca), the backends'
 * (--backend-tls, --backend-ca), their reload when the files change, the
 * non-blocking handshake step with a reason for every failure, and read/write
 * wrappers so proxy_conn.c moves bytes the same way with or without TLS. */
#include "director/proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/json.h"
#include "common/log.h"
#include "common/tlserr.h"
#include "director/director.h"

#define TLS_FILES 3 /* cert, key, CA */

struct proxy_tls {
	const struct director_edge *e; /* borrowed: lives for the whole run */
	pthread_mutex_t lock;	       /* guards srv (swapped by a reload) */
	SSL_CTX *srv, *cli;
	struct stat seen[TLS_FILES]; /* what the loaded srv was built from */
	atomic_uint_fast64_t reloads, reload_failures;
};

static const char *const fail_names[PROXY_TLS_FAIL_COUNT] = {
#define PROXY__TLS_STR(name, str) str,
    PROXY_TLS_FAIL_LIST(PROXY__TLS_STR)
#undef PROXY__TLS_STR
};

const char *proxy_tls_fail_name(enum proxy_tls_fail f)
{
	return (unsigned)f < PROXY_TLS_FAIL_COUNT ? fail_names[f] : "?";
}

/* OpenSSL's queued error as one short line, as everywhere (common/tlserr.h). */
static const char *ssl_err(char *buf, size_t len)
{
	return tls_err_string(buf, len);
}

static void common_opts(SSL_CTX *ctx)
{
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* A TCP FIN without close_notify is an EOF like any other for MQTT (the
	 * protocol has its own DISCONNECT); no renegotiation, so a read never needs
	 * a write. Partial writes and a retried write from the same (moved) buffer
	 * behave like write(2); idle connections give their 16 KiB buffers back. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_read_ahead(ctx, 1); /* whole socket buffers, not record by record */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_RELEASE_BUFFERS);
}

/* The listener's context from the files. NULL with err set. */
static SSL_CTX *server_ctx(const struct director_edge *e, char *err, size_t errlen)
{
	char eb[200];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		snprintf(err, errlen, "TLS: %s", ssl_err(eb, sizeof(eb)));
		return NULL;
	}
	common_opts(ctx);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"mqlb", 4);
	if (SSL_CTX_use_certificate_chain_file(ctx, e->tls_cert) != 1) {
		snprintf(err, errlen, "--tls-cert %s: %s", e->tls_cert, ssl_err(eb, sizeof(eb)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, e->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "--tls-key %s: %s", e->tls_key, ssl_err(eb, sizeof(eb)));
		goto fail;
	}
	if (e->tls_ca) {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(e->tls_ca);
		if (SSL_CTX_load_verify_locations(ctx, e->tls_ca, NULL) != 1 || !names) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			snprintf(err, errlen, "--tls-ca %s: %s", e->tls_ca,
				 ssl_err(eb, sizeof(eb)));
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	ERR_clear_error();
	return ctx;
fail:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

static SSL_CTX *client_ctx(const struct director_edge *e, char *err, size_t errlen)
{
	char eb[200];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		snprintf(err, errlen, "TLS: %s", ssl_err(eb, sizeof(eb)));
		return NULL;
	}
	common_opts(ctx);
	if (e->backend_ca) {
		if (SSL_CTX_load_verify_locations(ctx, e->backend_ca, NULL) != 1) {
			snprintf(err, errlen, "--backend-ca %s: %s", e->backend_ca,
				 ssl_err(eb, sizeof(eb)));
			SSL_CTX_free(ctx);
			ERR_clear_error();
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	if (e->backend_cert &&
	    (SSL_CTX_use_certificate_chain_file(ctx, e->backend_cert) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, e->backend_key, SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_check_private_key(ctx) != 1)) {
		snprintf(err, errlen, "--backend-cert %s / --backend-key %s: %s", e->backend_cert,
			 e->backend_key, ssl_err(eb, sizeof(eb)));
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	ERR_clear_error();
	return ctx;
}

/* stat() of the three files (a missing one: zeroed). */
static void stat_files(const struct director_edge *e, struct stat st[TLS_FILES])
{
	const char *f[TLS_FILES] = {e->tls_cert, e->tls_key, e->tls_ca};
	for (int i = 0; i < TLS_FILES; i++)
		if (!f[i] || stat(f[i], &st[i]) != 0)
			memset(&st[i], 0, sizeof(st[i]));
}

static int same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int proxy_tls_new(struct proxy_tls **out, const struct director_edge *e, char *err, size_t errlen)
{
	*out = NULL;
	if (!e->tls_cert && !e->backend_tls)
		return 0;
	struct proxy_tls *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->e = e;
	pthread_mutex_init(&t->lock, NULL);
	if (e->tls_cert) {
		stat_files(e, t->seen);
		if (!(t->srv = server_ctx(e, err, errlen)))
			goto fail;
	}
	if (e->backend_tls && !(t->cli = client_ctx(e, err, errlen)))
		goto fail;
	*out = t;
	return 0;
fail:
	proxy_tls_free(t);
	return -EINVAL;
}

void proxy_tls_free(struct proxy_tls *t)
{
	if (!t)
		return;
	SSL_CTX_free(t->srv);
	SSL_CTX_free(t->cli);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int proxy_tls_reload_if_changed(struct proxy_tls *t)
{
	struct stat now[TLS_FILES];
	char err[300];
	if (!t || !t->srv)
		return 0;
	stat_files(t->e, now);
	int changed = 0;
	for (int i = 0; i < TLS_FILES; i++)
		changed |= !same_stat(&now[i], &t->seen[i]);
	if (!changed)
		return 0;
	/* Remembered even when the new set is bad: one error line per change, not
	 * one a second (a certificate and its key are rarely written at once). */
	memcpy(t->seen, now, sizeof(now));
	SSL_CTX *ctx = server_ctx(t->e, err, sizeof(err));
	if (!ctx) {
		atomic_fetch_add(&t->reload_failures, 1);
		log_error("proxy: TLS files changed but cannot be used, keeping the old "
			  "ones: %s",
			  err);
		return -1;
	}
	pthread_mutex_lock(&t->lock);
	SSL_CTX *old = t->srv;
	t->srv = ctx;
	pthread_mutex_unlock(&t->lock);
	SSL_CTX_free(old); /* open connections hold their own references */
	atomic_fetch_add(&t->reloads, 1);
	log_info("proxy: TLS certificate reloaded from %s (new handshakes use it)", t->e->tls_cert);
	return 1;
}

int proxy_tls_server(const struct proxy_tls *t)
{
	return t && t->srv;
}

int proxy_tls_client(const struct proxy_tls *t)
{
	return t && t->cli;
}

SSL *proxy_tls_accept_new(struct proxy_tls *t, int fd)
{
	pthread_mutex_lock(&t->lock);
	SSL *ssl = SSL_new(t->srv);
	pthread_mutex_unlock(&t->lock);
	if (ssl && SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		ssl = NULL;
	}
	if (ssl)
		SSL_set_accept_state(ssl);
	ERR_clear_error();
	return ssl;
}

SSL *proxy_tls_connect_new(struct proxy_tls *t, int fd, const struct sockaddr_storage *addr)
{
	char ip[INET6_ADDRSTRLEN];
	SSL *ssl = SSL_new(t->cli);
	if (!ssl)
		return NULL;
	const void *raw = addr->ss_family == AF_INET6
			      ? (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr
			      : (const void *)&((const struct sockaddr_in *)addr)->sin_addr;
	if (SSL_set_fd(ssl, fd) != 1 || !inet_ntop(addr->ss_family, raw, ip, sizeof(ip)) ||
	    (t->e->backend_ca && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip) != 1)) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_connect_state(ssl);
	return ssl;
}

/* The reason of a failed verification of the peer's certificate. */
static enum proxy_tls_fail verify_fail(long v)
{
	switch (v) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return PROXY_TLS_EXPIRED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return PROXY_TLS_UNKNOWN_CA;
	default:
		return PROXY_TLS_BAD_CERT;
	}
}

/* Classifies a failed handshake step (SSL_get_error said e). */
static enum proxy_tls_fail classify(SSL *ssl, int e, char *why, size_t whylen)
{
	if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
		snprintf(why, whylen, "%s", errno ? strerror(errno) : "EOF in the handshake");
		return PROXY_TLS_CLOSED;
	}
	long v = SSL_get_verify_result(ssl);
	unsigned long err = ERR_peek_last_error();
	int reason = ERR_GET_REASON(err);
	if (v != X509_V_OK) {
		snprintf(why, whylen, "certificate: %s", X509_verify_cert_error_string(v));
		return verify_fail(v);
	}
	const char *rs = ERR_reason_error_string(err);
	snprintf(why, whylen, "%s", rs ? rs : "handshake failed");
	if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		return PROXY_TLS_NO_CERT;
	if (reason == SSL_R_HTTP_REQUEST || reason == SSL_R_WRONG_VERSION_NUMBER ||
	    reason == SSL_R_PACKET_LENGTH_TOO_LONG || reason == SSL_R_RECORD_LENGTH_MISMATCH)
		return PROXY_TLS_NOT_TLS;
	if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED)
		return PROXY_TLS_BAD_CERT;
	return PROXY_TLS_PROTOCOL;
}

int proxy_tls_handshake(SSL *ssl, unsigned *want, enum proxy_tls_fail *fail, char *why,
			size_t whylen)
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_do_handshake(ssl);
	if (r == 1)
		return 1;
	int e = SSL_get_error(ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*want = e == SSL_ERROR_WANT_READ ? EVENT_READ : EVENT_WRITE;
		return 0;
	}
	*fail = classify(ssl, e, why, whylen);
	ERR_clear_error();
	return -1;
}

size_t proxy_tls_peer_cn(SSL *ssl, char *out, size_t cap)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	out[0] = '\0';
	if (!x || SSL_get_verify_result(ssl) != X509_V_OK)
		return 0;
	int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, (int)cap);
	if (n <= 0) {
		out[0] = '\0';
		ERR_clear_error();
		return 0;
	}
	return (size_t)n;
}

const char *proxy_tls_version(const SSL *ssl)
{
	return SSL_get_version(ssl);
}

/* errno and return value for an SSL_read/SSL_write that did not move bytes. */
static ssize_t io_fail(SSL *ssl, int r)
{
	int e = SSL_get_error(ssl, r);
	ERR_clear_error();
	switch (e) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			return 0;
		return -1;
	default:
		errno = ECONNRESET;
		return -1;
	}
}

ssize_t proxy_io_read(SSL *ssl, int fd, void *buf, size_t len)
{
	if (!ssl)
		return read(fd, buf, len);
	/* One SSL_read gives one record: an MQTT client writes one per packet, so
	 * collect them all (read-ahead fetched them in one read(2)) and pass them
	 * on in one write instead of one write and one epoll round per packet. */
	size_t total = 0;
	while (total < len) {
		size_t n = 0;
		ERR_clear_error();
		errno = 0;
		int r = SSL_read_ex(ssl, (char *)buf + total, len - total, &n);
		if (r == 1) {
			total += n;
			continue;
		}
		if (total) { /* an EOF or error after data says so again next time */
			ERR_clear_error();
			break;
		}
		return io_fail(ssl, r);
	}
	return (ssize_t)total;
}

ssize_t proxy_io_write(SSL *ssl, int fd, const void *buf, size_t len)
{
	if (!ssl)
		return write(fd, buf, len);
	size_t n = 0;
	ERR_clear_error();
	errno = 0;
	int r = SSL_write_ex(ssl, buf, len, &n);
	if (r == 1)
		return (ssize_t)n;
	ssize_t rc = io_fail(ssl, r);
	if (rc == 0) { /* a write cannot meet an EOF: the peer is gone */
		errno = EPIPE;
		rc = -1;
	}
	return rc;
}

void proxy_io_shutdown_wr(SSL *ssl, int fd)
{
	if (ssl) {
		ERR_clear_error();
		SSL_shutdown(ssl); /* close_notify, best effort: FIN follows anyway */
		ERR_clear_error();
	}
	shutdown(fd, SHUT_WR);
}

int proxy_io_pending(SSL *ssl)
{
	return ssl ? SSL_has_pending(ssl) : 0;
}

void proxy_tls_status_json(const struct proxy_tls *t, struct json *j)
{
	json_bool(j, "terminates", t->srv != NULL);
	json_bool(j, "client_certificates", t->e->tls_ca != NULL);
	json_bool(j, "backend_tls", t->cli != NULL);
	json_u64(j, "reloads", atomic_load(&t->reloads));
	json_u64(j, "reload_failures", atomic_load(&t->reload_failures));
}
