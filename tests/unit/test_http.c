/*
 * The TLS policy of graphql/http.c against real TLS servers on 127.0.0.1.
 *
 * The group setup makes certificates with the openssl command in a fresh
 * temporary directory. They are a server CA with a server certificate for
 * localhost, the same from an "other" CA and from a stand-in "system" CA,
 * and a client CA with two client certificates. Each test starts a small TLS server thread
 * built on OpenSSL and stops it before it returns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>

#include "../../graphql/http.h"

#define OK_BODY "{\"data\":{\"result\":true}}"
#define OK_RESPONSE \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
	"Content-Length: 24\r\nConnection: close\r\n\r\n" OK_BODY

/* The certificates, made once for all tests. */
static const char certificate_script[] =
	"set -e\n"
	"cd \"$1\"\n"
	"cat > ca.cnf <<EOF\n"
	"[req]\ndistinguished_name = dn\nx509_extensions = v3_ca\n"
	"prompt = no\n[dn]\n[v3_ca]\n"
	"basicConstraints = critical,CA:TRUE\n"
	"keyUsage = critical,keyCertSign,cRLSign\n"
	"subjectKeyIdentifier = hash\nEOF\n"
	"cat > server.ext <<EOF\nbasicConstraints = critical,CA:FALSE\n"
	"keyUsage = critical,digitalSignature\n"
	"extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost\nEOF\n"
	"cat > client.ext <<EOF\nbasicConstraints = critical,CA:FALSE\n"
	"keyUsage = critical,digitalSignature\n"
	"extendedKeyUsage = clientAuth\nEOF\n"
	"make_ca() {\n"
	"  openssl req -config ca.cnf -x509 -new -newkey ec "
	"-pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj \"/CN=$1\" "
	"-keyout \"$1.key\" -out \"$1.pem\"\n"
	"}\n"
	"make_leaf() {\n"
	"  openssl req -config ca.cnf -new -newkey ec "
	"-pkeyopt ec_paramgen_curve:P-256 -nodes -subj \"/CN=$4\" "
	"-keyout \"$1.key\" -out \"$1.csr\"\n"
	"  openssl x509 -req -in \"$1.csr\" -CA \"$2.pem\" -CAkey \"$2.key\" "
	"-CAcreateserial -days 2 -extfile \"$3\" -out \"$1.pem\"\n"
	"}\n"
	"make_ca server-ca\nmake_ca other-ca\nmake_ca system-ca\n"
	"make_ca client-ca\n"
	"make_leaf server server-ca server.ext localhost\n"
	"make_leaf other-server other-ca server.ext localhost\n"
	"make_leaf system-server system-ca server.ext localhost\n"
	"make_leaf client-a client-ca client.ext client-a\n"
	"make_leaf client-b client-ca client.ext client-b\n"
	/* A stand-in for /etc/ssl/certs: system-ca by hash link only. */
	"mkdir system-certs\ncp system-ca.pem system-certs/\n"
	"openssl rehash system-certs\n"
	"cp other-ca.pem system-certs/ca-certificates.crt\n";

static char work_dir[] = "/tmp/compass-agent-test-http.XXXXXX";

struct test_server {
	SSL_CTX *ctx;
	int listen_fd;
	int port;
	pthread_t thread;
	atomic_int stop;
	const char *response;	/* sent whole to every request */
	size_t extra_body;	/* bytes of 'x' streamed after the response */

	pthread_mutex_t lock;	/* guards what follows */
	char request[16384];
	char client_subject[256];
	int client_chain_len;	/* certificates after the client leaf */
	int connections;
	int requests;
};

enum server_tls {
	SERVER_TLS_DEFAULT,
	SERVER_TLS_1_1_ONLY,
	SERVER_TLS_REQUIRE_CLIENT_CERT,
};

static char *
work_path(const char *name)
{
	static char paths[8][512];
	static int next;
	char *path = paths[next++ % 8];

	(void)snprintf(path, sizeof(paths[0]), "%s/%s", work_dir, name);
	return path;
}

static int
make_certificates(void **state)
{
	char command[1024];
	FILE *script;

	(void)state;
	if (mkdtemp(work_dir) == NULL)
		return -1;
	script = fopen(work_path("make-certificates.sh"), "w");
	if (script == NULL)
		return -1;
	(void)fputs(certificate_script, script);
	if (fclose(script) != 0)
		return -1;
	(void)snprintf(command, sizeof(command),
	    "sh %s/make-certificates.sh %s >%s/openssl.log 2>&1", work_dir,
	    work_dir, work_dir);
	if (system(command) != 0) {
		fprintf(stderr, "certificate script failed, see "
		    "%s/openssl.log\n", work_dir);
		return -1;
	}
	return 0;
}

static int
remove_certificates(void **state)
{
	char command[1024];

	(void)state;
	(void)snprintf(command, sizeof(command), "rm -rf %s", work_dir);
	return system(command) == 0 ? 0 : -1;
}

/* Read one HTTP request: the head, then Content-Length bytes of body. */
static size_t
read_request(SSL *ssl, char *buf, size_t size)
{
	size_t len = 0;
	char *head_end, *length_header;
	long body_len;
	int n;

	while (len + 1 < size) {
		n = SSL_read(ssl, buf + len, (int)(size - 1 - len));
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		head_end = strstr(buf, "\r\n\r\n");
		if (head_end == NULL)
			continue;
		length_header = strcasestr(buf, "\r\nContent-Length:");
		body_len = length_header != NULL ?
		    strtol(length_header + 17, NULL, 10) : 0;
		if ((long)len >= head_end + 4 - buf + body_len)
			break;
	}
	buf[len] = '\0';
	return len;
}

static void
send_response(struct test_server *server, SSL *ssl)
{
	char chunk[4096];
	size_t sent = 0, n;

	if (SSL_write(ssl, server->response,
	    (int)strlen(server->response)) <= 0)
		return;
	memset(chunk, 'x', sizeof(chunk));
	while (sent < server->extra_body) {
		n = server->extra_body - sent;
		if (n > sizeof(chunk))
			n = sizeof(chunk);
		if (SSL_write(ssl, chunk, (int)n) <= 0)
			return;
		sent += n;
	}
}

static void
serve_connection(struct test_server *server, int fd)
{
	struct timeval timeout = { .tv_sec = 5 };
	char request[sizeof(server->request)];
	X509 *peer;
	SSL *ssl;

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout,
	    sizeof(timeout));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout,
	    sizeof(timeout));
	ssl = SSL_new(server->ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1)
		goto out;

	/*
	 * A client that rejects the server after the handshake, such as for
	 * a wrong host name, sends nothing, and no request is counted.
	 */
	if (read_request(ssl, request, sizeof(request)) == 0)
		goto out;
	pthread_mutex_lock(&server->lock);
	memcpy(server->request, request, sizeof(request));
	server->client_subject[0] = '\0';
	server->client_chain_len = 0;
	peer = SSL_get0_peer_certificate(ssl);
	if (peer != NULL) {
		X509_NAME_oneline(X509_get_subject_name(peer),
		    server->client_subject, sizeof(server->client_subject));
		server->client_chain_len =
		    sk_X509_num(SSL_get_peer_cert_chain(ssl));
	}
	server->requests++;
	pthread_mutex_unlock(&server->lock);

	send_response(server, ssl);
	(void)SSL_shutdown(ssl);
out:
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
}

static void *
server_main(void *arg)
{
	struct test_server *server = arg;
	struct pollfd pfd = { .fd = server->listen_fd, .events = POLLIN };
	int fd;

	while (!atomic_load(&server->stop)) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		fd = accept(server->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&server->lock);
		server->connections++;
		pthread_mutex_unlock(&server->lock);
		serve_connection(server, fd);
	}
	return NULL;
}

static SSL_CTX *
server_context(const char *name, enum server_tls tls)
{
	char file[64];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	assert_non_null(ctx);
	(void)snprintf(file, sizeof(file), "%s.pem", name);
	assert_int_equal(SSL_CTX_use_certificate_file(ctx, work_path(file),
	    SSL_FILETYPE_PEM), 1);
	(void)snprintf(file, sizeof(file), "%s.key", name);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, work_path(file),
	    SSL_FILETYPE_PEM), 1);

	if (tls == SERVER_TLS_1_1_ONLY) {
		SSL_CTX_set_security_level(ctx, 0);
		assert_int_equal(SSL_CTX_set_cipher_list(ctx,
		    "DEFAULT@SECLEVEL=0"), 1);
		assert_int_equal(SSL_CTX_set_min_proto_version(ctx,
		    TLS1_1_VERSION), 1);
		assert_int_equal(SSL_CTX_set_max_proto_version(ctx,
		    TLS1_1_VERSION), 1);
	}
	if (tls == SERVER_TLS_REQUIRE_CLIENT_CERT) {
		assert_int_equal(SSL_CTX_load_verify_locations(ctx,
		    work_path("client-ca.pem"), NULL), 1);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return ctx;
}

/* Start a server on 127.0.0.1 with the certificate and key of name. */
static struct test_server *
server_start(const char *name, enum server_tls tls, const char *response)
{
	struct test_server *server = calloc(1, sizeof(*server));
	struct sockaddr_in address = { .sin_family = AF_INET };
	socklen_t address_len = sizeof(address);

	assert_non_null(server);
	server->ctx = server_context(name, tls);
	server->response = response;
	pthread_mutex_init(&server->lock, NULL);

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	server->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(server->listen_fd >= 0);
	assert_int_equal(bind(server->listen_fd,
	    (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(listen(server->listen_fd, 8), 0);
	assert_int_equal(getsockname(server->listen_fd,
	    (struct sockaddr *)&address, &address_len), 0);
	server->port = ntohs(address.sin_port);

	assert_int_equal(pthread_create(&server->thread, NULL, server_main,
	    server), 0);
	return server;
}

static void
server_stop(struct test_server *server)
{
	atomic_store(&server->stop, 1);
	pthread_join(server->thread, NULL);
	close(server->listen_fd);
	SSL_CTX_free(server->ctx);
	pthread_mutex_destroy(&server->lock);
	free(server);
}

static int
server_requests(struct test_server *server)
{
	int requests;

	pthread_mutex_lock(&server->lock);
	requests = server->requests;
	pthread_mutex_unlock(&server->lock);
	return requests;
}

static int
server_connections(struct test_server *server)
{
	int connections;

	pthread_mutex_lock(&server->lock);
	connections = server->connections;
	pthread_mutex_unlock(&server->lock);
	return connections;
}

static char *
server_url(const struct test_server *server, const char *scheme_host)
{
	static char url[256];

	(void)snprintf(url, sizeof(url), "%s:%d/connector/graphql",
	    scheme_host, server->port);
	return url;
}

static void
default_options(struct http_options *options, const char *ca_file)
{
	memset(options, 0, sizeof(*options));
	options->ca_file = ca_file != NULL ? work_path(ca_file) : NULL;
	options->timeout_seconds = 10;
	options->connect_timeout_seconds = 5;
}

static enum ca_status
post(const struct http_options *options, const char *url,
     const struct secret *token, struct http_response *response,
     struct ca_error *err)
{
	ca_error_clear(err);
	return http_post_json(options, url, "{\"query\":\"x\"}", token,
	    response, err);
}

static void
expect_failure(enum ca_status r, const struct ca_error *err,
	       enum ca_status status, const char *message)
{
	if (r != status)
		fail_msg("status %d (%s), expected %d", r, err->message,
		    status);
	if (strstr(err->message, message) == NULL)
		fail_msg("message '%s' lacks '%s'", err->message, message);
}

static void
trusted_server_accepted(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_DEFAULT, OK_RESPONSE);
	struct http_options options;
	struct http_response response;
	struct ca_error err;

	(void)state;
	default_options(&options, "server-ca.pem");
	options.request_id = "req-42";
	assert_int_equal(post(&options, server_url(server, "https://localhost"),
	    NULL, &response, &err), CA_OK);
	assert_int_equal(response.status, 200);
	assert_int_equal(response.body_len, strlen(OK_BODY));
	assert_string_equal(response.body, OK_BODY);
	http_response_free(&response);

	pthread_mutex_lock(&server->lock);
	assert_non_null(strstr(server->request, "POST /connector/graphql "
	    "HTTP/1.1\r\n"));
	assert_non_null(strstr(server->request,
	    "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(server->request,
	    "\r\nx-request-id: req-42\r\n"));
	assert_null(strcasestr(server->request, "Connector-Token"));
	assert_non_null(strstr(server->request, "\r\n\r\n{\"query\":\"x\"}"));
	pthread_mutex_unlock(&server->lock);
	server_stop(server);
}

static void
connector_token_sent_as_header(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_DEFAULT, OK_RESPONSE);
	struct secret *token = secret_from_bytes("tok-abc.123", 11);
	struct secret *bad_token = secret_from_bytes("tok\r\nX-Evil: 1", 15);
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	enum ca_status r;

	(void)state;
	assert_non_null(token);
	assert_non_null(bad_token);
	default_options(&options, "server-ca.pem");
	assert_int_equal(post(&options, server_url(server, "https://localhost"),
	    token, &response, &err), CA_OK);
	http_response_free(&response);
	pthread_mutex_lock(&server->lock);
	assert_non_null(strstr(server->request,
	    "\r\nConnector-Token: tok-abc.123\r\n"));
	assert_null(strstr(server->request + strlen("POST"), "tok-abc.123\r\n"
	    "Connector-Token"));
	pthread_mutex_unlock(&server->lock);

	r = post(&options, server_url(server, "https://localhost"), bad_token,
	    &response, &err);
	expect_failure(r, &err, CA_ERR_USAGE, "one-time token");
	assert_null(strstr(err.message, "Evil"));

	assert_int_equal(server_requests(server), 1);
	secret_free(bad_token);
	secret_free(token);
	server_stop(server);
}

static void
server_from_other_ca_rejected(void **state)
{
	struct test_server *server = server_start("other-server",
	    SERVER_TLS_DEFAULT, OK_RESPONSE);
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	char *url = server_url(server, "https://localhost");
	enum ca_status r;

	(void)state;
	default_options(&options, "server-ca.pem");
	r = post(&options, url, NULL, &response, &err);
	expect_failure(r, &err, CA_ERR_NETWORK, url);
	assert_null(response.body);

	/* Nor does the system store know the test CAs. */
	default_options(&options, NULL);
	r = post(&options, url, NULL, &response, &err);
	expect_failure(r, &err, CA_ERR_NETWORK, "failed");
	assert_int_equal(server_requests(server), 0);
	server_stop(server);
}

static void
wrong_host_name_rejected(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_DEFAULT, OK_RESPONSE);
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	enum ca_status r;

	(void)state;
	default_options(&options, "server-ca.pem");
	r = post(&options, server_url(server, "https://127.0.0.1"), NULL,
	    &response, &err);
	expect_failure(r, &err, CA_ERR_NETWORK, "127.0.0.1");
	assert_int_equal(server_requests(server), 0);
	server_stop(server);
}

static void
plain_http_refused_before_connect(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_DEFAULT, OK_RESPONSE);
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	enum ca_status r;

	(void)state;
	default_options(&options, "server-ca.pem");
	r = post(&options, server_url(server, "http://localhost"), NULL,
	    &response, &err);
	expect_failure(r, &err, CA_ERR_NETWORK, "URL must use https: http://");
	r = post(&options, server_url(server, "ftp://localhost"), NULL,
	    &response, &err);
	expect_failure(r, &err, CA_ERR_NETWORK, "URL must use https");
	assert_int_equal(server_connections(server), 0);
	server_stop(server);
}

/* libcurl would send the user name and password as Authorization. */
static void
url_with_user_info_refused_before_connect(void **state)
{
	static const char *const prefixes[] = {
		"https://user:secret@localhost",
		"https://user@localhost",
		"https://:secret@localhost",
		"https://@localhost",
		"https://user;secret@localhost",
		"HTTPS://user:secret@localhost",
		"https://us%65r:se%63ret@localhost",
	};
	struct test_server *server = server_start("server",
	    SERVER_TLS_DEFAULT, OK_RESPONSE);
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	enum ca_status r;
	size_t i;

	(void)state;
	default_options(&options, "server-ca.pem");
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		r = post(&options, server_url(server, prefixes[i]), NULL,
		    &response, &err);
		expect_failure(r, &err, CA_ERR_NETWORK, "URL must not contain "
		    "a user name or password");
		assert_null(response.body);
		assert_null(strstr(err.message, "secret"));
		assert_null(strstr(err.message, "se%63ret"));
		assert_null(strstr(err.message, "user:"));
		assert_null(strstr(err.message, "user@"));
		assert_null(strstr(err.message, "us%65r"));
		assert_non_null(strstr(err.message, "localhost"));
	}
	assert_int_equal(server_connections(server), 0);
	server_stop(server);
}

/* A URL that libcurl cannot parse is not shown with its password either. */
static void
invalid_url_shown_without_password(void **state)
{
	static const char *const urls[] = {
		"https://user:secret@localhost:99999/connector/graphql",
		"https://user:secret@local host/connector/graphql",
		"https://a:secret@b:secret@localhost/connector/graphql",
	};
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	enum ca_status r;
	size_t i;

	(void)state;
	default_options(&options, "server-ca.pem");
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		r = post(&options, urls[i], NULL, &response, &err);
		expect_failure(r, &err, CA_ERR_NETWORK, "is not a valid URL");
		assert_null(strstr(err.message, "secret"));
	}
}

static void
redirect_location_shown_without_password(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_DEFAULT, "HTTP/1.1 302 Found\r\n"
	    "Location: https://user:secret@localhost:1/elsewhere\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n");
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	enum ca_status r;

	(void)state;
	default_options(&options, "server-ca.pem");
	r = post(&options, server_url(server, "https://localhost"), NULL,
	    &response, &err);
	expect_failure(r, &err, CA_ERR_NETWORK, "redirect refused");
	assert_non_null(strstr(err.message, "https://localhost:1/elsewhere"));
	assert_null(strstr(err.message, "secret"));
	server_stop(server);
}

static void
redirect_refused(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_DEFAULT, "HTTP/1.1 302 Found\r\n"
	    "Location: https://localhost:1/elsewhere\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n");
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	enum ca_status r;

	(void)state;
	default_options(&options, "server-ca.pem");
	r = post(&options, server_url(server, "https://localhost"), NULL,
	    &response, &err);
	expect_failure(r, &err, CA_ERR_NETWORK, "redirect refused");
	assert_non_null(strstr(err.message, "HTTP 302"));
	assert_non_null(strstr(err.message, "https://localhost:1/elsewhere"));
	assert_null(response.body);
	assert_int_equal(server_requests(server), 1);
	server_stop(server);
}

static void
other_status_returned(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_DEFAULT, "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Length: 4\r\nConnection: close\r\n\r\nbusy");
	struct http_options options;
	struct http_response response;
	struct ca_error err;

	(void)state;
	default_options(&options, "server-ca.pem");
	assert_int_equal(post(&options, server_url(server, "https://localhost"),
	    NULL, &response, &err), CA_OK);
	assert_int_equal(response.status, 503);
	assert_string_equal(response.body, "busy");
	http_response_free(&response);
	server_stop(server);
}

static void
body_over_cap_refused(void **state)
{
	static const char announced[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 5000\r\nConnection: close\r\n\r\n";
	static const char streamed[] = "HTTP/1.1 200 OK\r\n"
	    "Connection: close\r\n\r\n";
	const char *responses[] = { announced, streamed };
	struct test_server *server;
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	enum ca_status r;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		server = server_start("server", SERVER_TLS_DEFAULT,
		    responses[i]);
		server->extra_body = 5000;
		default_options(&options, "server-ca.pem");
		options.max_body = 1000;
		r = post(&options, server_url(server, "https://localhost"),
		    NULL, &response, &err);
		expect_failure(r, &err, CA_ERR_NETWORK,
		    "response larger than 1000 bytes");
		assert_null(response.body);

		/* The same body fits under a larger cap. */
		options.max_body = 5000;
		assert_int_equal(post(&options, server_url(server,
		    "https://localhost"), NULL, &response, &err), CA_OK);
		assert_int_equal(response.body_len, 5000);
		http_response_free(&response);
		server_stop(server);
	}
}

static void
tls_1_1_server_refused(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_1_1_ONLY, OK_RESPONSE);
	struct sockaddr_in address = { .sin_family = AF_INET };
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	enum ca_status r;

	(void)state;
	/* A client that allows TLS 1.1 shows that the server speaks it. */
	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	SSL_CTX_set_security_level(ctx, 0);
	assert_int_equal(SSL_CTX_set_cipher_list(ctx, "DEFAULT@SECLEVEL=0"), 1);
	assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_1_VERSION), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION), 1);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	address.sin_port = htons((uint16_t)server->port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&address,
	    sizeof(address)), 0);
	ssl = SSL_new(ctx);
	assert_non_null(ssl);
	assert_int_equal(SSL_set_fd(ssl, fd), 1);
	assert_int_equal(SSL_connect(ssl), 1);
	assert_int_equal(SSL_version(ssl), TLS1_1_VERSION);
	(void)SSL_write(ssl, "x\r\n\r\n", 5);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);

	default_options(&options, "server-ca.pem");
	r = post(&options, server_url(server, "https://localhost"), NULL,
	    &response, &err);
	expect_failure(r, &err, CA_ERR_NETWORK, "TLS 1.2 or newer");
	assert_int_equal(server_requests(server), 1);
	server_stop(server);
}

/* Load a PEM private key, from a private library context when given. */
static EVP_PKEY *
load_key(const char *name, OSSL_LIB_CTX *libctx)
{
	char file[64];
	EVP_PKEY *key;
	BIO *bio;

	(void)snprintf(file, sizeof(file), "%s.key", name);
	bio = BIO_new_file(work_path(file), "r");
	assert_non_null(bio);
	key = PEM_read_bio_PrivateKey_ex(bio, NULL, NULL, NULL, libctx, NULL);
	BIO_free(bio);
	assert_non_null(key);
	return key;
}

static X509 *
load_certificate(const char *file)
{
	X509 *certificate;
	BIO *bio = BIO_new_file(work_path(file), "r");

	assert_non_null(bio);
	certificate = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_non_null(certificate);
	return certificate;
}

/* The chain leaf, then the client CA, as the Connector issues it. */
static STACK_OF(X509) *
load_chain(const char *name)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	char file[64];

	assert_non_null(chain);
	(void)snprintf(file, sizeof(file), "%s.pem", name);
	assert_true(sk_X509_push(chain, load_certificate(file)) > 0);
	assert_true(sk_X509_push(chain, load_certificate("client-ca.pem")) > 0);
	return chain;
}

static void
mtls_request(struct test_server *server, const char *client,
	     OSSL_LIB_CTX *libctx)
{
	char expected_subject[64];
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	enum ca_status r;

	default_options(&options, "server-ca.pem");
	options.client_key = load_key(client, libctx);
	options.client_chain = load_chain(client);
	r = post(&options, server_url(server, "https://localhost"), NULL,
	    &response, &err);
	if (r != CA_OK)
		fail_msg("mTLS as %s: %s", client, err.message);
	http_response_free(&response);

	(void)snprintf(expected_subject, sizeof(expected_subject), "/CN=%s",
	    client);
	pthread_mutex_lock(&server->lock);
	assert_string_equal(server->client_subject, expected_subject);
	assert_int_equal(server->client_chain_len, 1);
	pthread_mutex_unlock(&server->lock);
	EVP_PKEY_free(options.client_key);
	sk_X509_pop_free(options.client_chain, X509_free);
}

static void
mtls_presents_client_certificate(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_REQUIRE_CLIENT_CERT, OK_RESPONSE);
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	enum ca_status r;

	(void)state;
	default_options(&options, "server-ca.pem");
	r = post(&options, server_url(server, "https://localhost"), NULL,
	    &response, &err);
	expect_failure(r, &err, CA_ERR_NETWORK, "failed");
	assert_int_equal(server_requests(server), 0);

	mtls_request(server, "client-a", NULL);
	server_stop(server);
}

/*
 * A renewal swaps the certificate between two requests. The second request
 * must present the new one, not resume the old connection or session.
 */
static void
mtls_next_request_uses_new_certificate(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_REQUIRE_CLIENT_CERT, OK_RESPONSE);

	(void)state;
	mtls_request(server, "client-a", NULL);
	mtls_request(server, "client-b", NULL);
	mtls_request(server, "client-a", NULL);
	assert_int_equal(server_connections(server), 3);
	server_stop(server);
}

/* Provider keys live in their own library context, not curl's default. */
static void
mtls_key_from_other_library_context(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_REQUIRE_CLIENT_CERT, OK_RESPONSE);
	OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();
	OSSL_PROVIDER *provider;

	(void)state;
	assert_non_null(libctx);
	provider = OSSL_PROVIDER_load(libctx, "default");
	assert_non_null(provider);
	mtls_request(server, "client-b", libctx);
	OSSL_PROVIDER_unload(provider);
	OSSL_LIB_CTX_free(libctx);
	server_stop(server);
}

static void
mtls_mismatched_key_rejected(void **state)
{
	struct test_server *server = server_start("server",
	    SERVER_TLS_REQUIRE_CLIENT_CERT, OK_RESPONSE);
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	enum ca_status r;

	(void)state;
	default_options(&options, "server-ca.pem");
	options.client_key = load_key("client-a", NULL);
	options.client_chain = load_chain("client-b");
	r = post(&options, server_url(server, "https://localhost"), NULL,
	    &response, &err);
	expect_failure(r, &err, CA_ERR_INTERNAL, "key values mismatch");
	assert_non_null(strstr(err.message, "belongs to the client key"));
	sk_X509_pop_free(options.client_chain, X509_free);

	options.client_chain = NULL;
	r = post(&options, server_url(server, "https://localhost"), NULL,
	    &response, &err);
	expect_failure(r, &err, CA_ERR_INTERNAL, "given together");
	EVP_PKEY_free(options.client_key);
	server_stop(server);
}

/* Bits of the child's exit status in ca_file_excludes_system_path. */
#define CHILD_DEFAULT_NOT_TRUSTED 1	/* the stand-in path did not work */
#define CHILD_CONTROL_NOT_TRUSTED 2	/* CAINFO alone cleared the path */
#define CHILD_CA_FILE_TRUSTED_PATH 4	/* the bug this test guards */
#define CHILD_NO_NAMESPACE 64

static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * Put the stand-in system store over /etc/ssl/certs in a private mount
 * namespace of this child process only.
 */
static int
mount_stand_in_store(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWNS) != 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
			return -1;
		(void)write_file("/proc/self/setgroups", "deny");
		(void)snprintf(map, sizeof(map), "%u %u 1", uid, uid);
		if (write_file("/proc/self/uid_map", map) != 0)
			return -1;
		(void)snprintf(map, sizeof(map), "%u %u 1", gid, gid);
		if (write_file("/proc/self/gid_map", map) != 0)
			return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -1;
	return mount(work_path("system-certs"), "/etc/ssl/certs", NULL,
	    MS_BIND, NULL);
}

static size_t
discard_body(char *data, size_t size, size_t count, void *userdata)
{
	(void)data;
	(void)userdata;
	return size * count;
}

/* Plain libcurl with only CURLOPT_CAINFO set: 0 when the peer verified. */
static int
curl_with_cainfo_only(const char *url, const char *ca_file)
{
	CURL *curl = curl_easy_init();
	CURLcode code;

	if (curl == NULL)
		return -1;
	(void)curl_easy_setopt(curl, CURLOPT_URL, url);
	(void)curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
	(void)curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "{}");
	(void)curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	(void)curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
	code = curl_easy_perform(curl);
	curl_easy_cleanup(curl);
	return code == CURLE_OK ? 0 : -1;
}

/* Read the server's port from the parent, then run the three requests. */
static int
ca_file_child(int port_pipe)
{
	struct http_options options;
	struct http_response response;
	struct ca_error err;
	char url[128];
	int port = 0;
	int result = 0;

	alarm(60);
	if (mount_stand_in_store() != 0)
		return CHILD_NO_NAMESPACE;
	if (read(port_pipe, &port, sizeof(port)) != (ssize_t)sizeof(port))
		return CHILD_NO_NAMESPACE;
	(void)snprintf(url, sizeof(url), "https://localhost:%d/", port);

	default_options(&options, NULL);
	if (post(&options, url, NULL, &response, &err) != CA_OK)
		result |= CHILD_DEFAULT_NOT_TRUSTED;
	http_response_free(&response);

	if (curl_with_cainfo_only(url, work_path("server-ca.pem")) != 0)
		result |= CHILD_CONTROL_NOT_TRUSTED;

	default_options(&options, "server-ca.pem");
	if (post(&options, url, NULL, &response, &err) != CA_ERR_NETWORK)
		result |= CHILD_CA_FILE_TRUSTED_PATH;
	http_response_free(&response);
	return result;
}

/*
 * With --ca-file, a CA that only libcurl's default CA path (/etc/ssl/certs
 * on Debian) trusts must not be trusted. A child process replaces that
 * directory in its own mount namespace with one that trusts system-ca by
 * hash link, and serves as its own control: without a CA file and with
 * plain CURLOPT_CAINFO the system-ca server is trusted. The child is forked
 * before the server thread starts, because a fork from a process with
 * running threads can inherit a locked allocator (seen under ASan).
 */
static void
ca_file_excludes_system_path(void **state)
{
	struct test_server *server;
	int port_pipe[2];
	ssize_t written;
	int status = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(port_pipe), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(port_pipe[1]);
		_exit(ca_file_child(port_pipe[0]));
	}
	close(port_pipe[0]);
	server = server_start("system-server", SERVER_TLS_DEFAULT,
	    OK_RESPONSE);
	/* The write fails when the child ended early without a namespace. */
	written = write(port_pipe[1], &server->port, sizeof(server->port));
	(void)written;
	close(port_pipe[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	server_stop(server);

	if (!WIFEXITED(status))
		fail_msg("child ended by signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status) == CHILD_NO_NAMESPACE)
		skip();
	assert_false(WEXITSTATUS(status) & CHILD_DEFAULT_NOT_TRUSTED);
	assert_false(WEXITSTATUS(status) & CHILD_CONTROL_NOT_TRUSTED);
	assert_false(WEXITSTATUS(status) & CHILD_CA_FILE_TRUSTED_PATH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trusted_server_accepted),
		cmocka_unit_test(connector_token_sent_as_header),
		cmocka_unit_test(server_from_other_ca_rejected),
		cmocka_unit_test(wrong_host_name_rejected),
		cmocka_unit_test(plain_http_refused_before_connect),
		cmocka_unit_test(url_with_user_info_refused_before_connect),
		cmocka_unit_test(invalid_url_shown_without_password),
		cmocka_unit_test(redirect_location_shown_without_password),
		cmocka_unit_test(redirect_refused),
		cmocka_unit_test(other_status_returned),
		cmocka_unit_test(body_over_cap_refused),
		cmocka_unit_test(tls_1_1_server_refused),
		cmocka_unit_test(mtls_presents_client_certificate),
		cmocka_unit_test(mtls_next_request_uses_new_certificate),
		cmocka_unit_test(mtls_key_from_other_library_context),
		cmocka_unit_test(mtls_mismatched_key_rejected),
		cmocka_unit_test(ca_file_excludes_system_path),
	};
	struct ca_error err;
	static const char *const proxy_variables[] = {
		"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
		"no_proxy", "NO_PROXY",
	};
	size_t i;
	int failed;

	/* The servers are on loopback, so keep any configured proxy out. */
	for (i = 0; i < sizeof(proxy_variables) / sizeof(proxy_variables[0]);
	    i++)
		(void)unsetenv(proxy_variables[i]);
	/* The test servers write to clients that hang up early. */
	(void)signal(SIGPIPE, SIG_IGN);

	if (http_global_init(&err) != CA_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	failed = cmocka_run_group_tests(tests, make_certificates,
	    remove_certificates);
	http_global_cleanup();
	return failed;
}
