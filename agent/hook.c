/* The post-renew hook: splitting, environment, posix_spawn and timeout. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hook.h"
#include "log.h"
#include "state.h"

/* Time a hook gets between SIGTERM and SIGKILL. */
#define HOOK_KILL_GRACE_MS 2000
#define HOOK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Variables that build_environment() sets at most. */
#define HOOK_ENVIRONMENT_MAX 10

void
hook_words_free(char **words)
{
	size_t i;

	if (words == NULL)
		return;
	for (i = 0; words[i] != NULL; i++)
		free(words[i]);
	free(words);
}

/* Copy the next word of *p into out (size HOOK_MAX_LENGTH + 1). */
static enum ca_status
next_word(const char **p, char *out, struct ca_error *err)
{
	const char *s = *p;
	size_t n = 0;
	char quote = 0;

	for (; *s != '\0'; s++) {
		char c = *s;

		if (quote == 0 && (c == ' ' || c == '\t'))
			break;
		if (quote == 0 && (c == '\'' || c == '"')) {
			quote = c;
			continue;
		}
		if (c == quote) {
			quote = 0;
			continue;
		}
		if (c == '\\' && quote != '\'') {
			if (s[1] == '\0')
				return ca_error_set(err, CA_ERR_USAGE,
				    "post-renew-hook ends with a backslash");
			if (quote == 0 || s[1] == '"' || s[1] == '\\')
				c = *++s;
		}
		out[n++] = c;
	}
	if (quote != 0)
		return ca_error_set(err, CA_ERR_USAGE, "post-renew-hook has an "
		    "unterminated %c quote", quote);
	out[n] = '\0';
	*p = s;
	return CA_OK;
}

enum ca_status
hook_split(const char *command, char ***words_out, struct ca_error *err)
{
	char **words = NULL;
	char *word = NULL;
	const char *p = command;
	size_t count = 0;
	enum ca_status r = CA_ERR_USAGE;

	*words_out = NULL;
	if (strlen(command) > HOOK_MAX_LENGTH)
		return ca_error_set(err, CA_ERR_USAGE, "post-renew-hook is "
		    "longer than %d bytes", HOOK_MAX_LENGTH);
	words = calloc(HOOK_MAX_WORDS + 1, sizeof(*words));
	word = malloc(HOOK_MAX_LENGTH + 1);
	if (words == NULL || word == NULL) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (count == HOOK_MAX_WORDS) {
			r = ca_error_set(err, CA_ERR_USAGE, "post-renew-hook "
			    "has more than %d words", HOOK_MAX_WORDS);
			goto out;
		}
		r = next_word(&p, word, err);
		if (r != CA_OK)
			goto out;
		if ((words[count++] = strdup(word)) == NULL) {
			r = ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
			goto out;
		}
	}
	if (count == 0 || words[0][0] != '/') {
		r = ca_error_set(err, CA_ERR_USAGE, "post-renew-hook must start "
		    "with the absolute path of a program, such as "
		    "/usr/local/bin/reload-gateway");
		goto out;
	}
	*words_out = words;
	words = NULL;
	r = CA_OK;
out:
	hook_words_free(words);
	free(word);
	return r;
}

/* Append "name=value" to env at *count; a NULL value is left out. */
static bool
add_variable(char **env, size_t *count, const char *name, const char *value,
	     const char *suffix)
{
	if (value == NULL)
		return true;
	if (asprintf(&env[*count], "%s=%s%s", name, value, suffix) < 0) {
		env[*count] = NULL;
		return false;
	}
	(*count)++;
	return true;
}

/* The hook's environment: a fixed list, see hook.h. */
static char **
build_environment(const struct hook_facts *facts)
{
	const char *dir = facts->state_dir;
	char when[32];
	const char *not_after = NULL;
	char **env;
	size_t n = 0;
	bool ok;

	env = calloc(HOOK_ENVIRONMENT_MAX + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	if (facts->not_after != 0) {
		time_to_rfc3339(facts->not_after, when);
		not_after = when;
	}
	ok = add_variable(env, &n, "PATH", HOOK_PATH, "") &&
	    add_variable(env, &n, "COMPASS_AGENT_STATE_DIR", dir, "") &&
	    add_variable(env, &n, "COMPASS_AGENT_CERT_FILE", dir, "/cert.pem") &&
	    add_variable(env, &n, "COMPASS_AGENT_CHAIN_FILE", dir,
	    "/chain.pem") &&
	    add_variable(env, &n, "COMPASS_AGENT_CA_FILE", dir, "/ca.pem") &&
	    add_variable(env, &n, "COMPASS_AGENT_SERIAL", facts->serial, "") &&
	    add_variable(env, &n, "COMPASS_AGENT_SHA256", facts->sha256, "") &&
	    add_variable(env, &n, "COMPASS_AGENT_NOT_AFTER", not_after, "") &&
	    add_variable(env, &n, "COMPASS_AGENT_CLIENT_ID", facts->client_id,
	    "") &&
	    add_variable(env, &n, "COMPASS_AGENT_KEY_URI", facts->key_uri, "");
	if (!ok) {
		hook_words_free(env);
		return NULL;
	}
	return env;
}

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until the child exits, deadline_ms (monotonic) passes or stop_fd
 * becomes readable. Returns 1 when it exited, 0 on the deadline, 2 on stop.
 */
static int
wait_child(int pidfd, int stop_fd, int64_t deadline_ms)
{
	struct pollfd fds[2];
	int64_t left;
	int n;

	for (;;) {
		left = deadline_ms - monotonic_ms();
		if (left <= 0)
			return 0;
		fds[0].fd = pidfd;
		fds[0].events = POLLIN;
		fds[1].fd = stop_fd;
		fds[1].events = POLLIN;
		n = poll(fds, stop_fd >= 0 ? 2 : 1,
		    left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;
		if (fds[0].revents != 0)
			return 1;
		if (stop_fd >= 0 && fds[1].revents != 0)
			return 2;
	}
}

/* Kill the hook's process group: SIGTERM, then SIGKILL after the grace. */
static void
kill_hook(pid_t pid, int pidfd)
{
	(void)kill(-pid, SIGTERM);
	if (wait_child(pidfd, -1, monotonic_ms() + HOOK_KILL_GRACE_MS) == 1)
		return;
	(void)kill(-pid, SIGKILL);
}

static enum ca_status
spawn_hook(char **words, char **env, pid_t *pid, struct ca_error *err)
{
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int e;
	enum ca_status r = CA_ERR_INTERNAL;

	(void)sigemptyset(&none);
	(void)sigfillset(&all);
	if (posix_spawn_file_actions_init(&actions) != 0)
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	if (posix_spawnattr_init(&attr) != 0) {
		(void)posix_spawn_file_actions_destroy(&actions);
		return ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
	}
	/*
	 * The agent blocks and ignores signals that the hook must see with
	 * their defaults, and holds descriptors of the token module that the
	 * hook must not inherit.
	 */
	if ((e = posix_spawn_file_actions_addopen(&actions, STDIN_FILENO,
	    "/dev/null", O_RDONLY, 0)) != 0 ||
	    (e = posix_spawn_file_actions_addclosefrom_np(&actions,
	    STDERR_FILENO + 1)) != 0 ||
	    (e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)) != 0 ||
	    (e = posix_spawnattr_setsigmask(&attr, &none)) != 0 ||
	    (e = posix_spawnattr_setsigdefault(&attr, &all)) != 0 ||
	    (e = posix_spawnattr_setpgroup(&attr, 0)) != 0) {
		r = ca_error_set(err, CA_ERR_INTERNAL, "cannot prepare the "
		    "post-renew-hook: %s", strerror(e));
		goto out;
	}
	e = posix_spawn(pid, words[0], &actions, &attr, words, env);
	if (e != 0) {
		r = ca_error_set(err, CA_ERR_USAGE, "cannot start "
		    "post-renew-hook %s: %s; check the path and its mode",
		    words[0], strerror(e));
		goto out;
	}
	r = CA_OK;
out:
	(void)posix_spawnattr_destroy(&attr);
	(void)posix_spawn_file_actions_destroy(&actions);
	return r;
}

static enum hook_result
report_exit(const char *program, int status, struct ca_error *err)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("post-renew-hook %s succeeded", program);
		return HOOK_SUCCEEDED;
	}
	if (WIFEXITED(status))
		(void)ca_error_set(err, CA_ERR_INTERNAL, "post-renew-hook %s "
		    "exited with status %d", program, WEXITSTATUS(status));
	else
		(void)ca_error_set(err, CA_ERR_INTERNAL, "post-renew-hook %s "
		    "was killed by signal %d", program,
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return HOOK_FAILED;
}

enum hook_result
hook_run(const char *command, int64_t timeout_ms,
	 const struct hook_facts *facts, int stop_fd, struct ca_error *err)
{
	char **words = NULL;
	char **env = NULL;
	pid_t pid = -1;
	int pidfd = -1;
	int status = 0;
	int waited;
	enum hook_result result = HOOK_FAILED;

	if (hook_split(command, &words, err) != CA_OK || words == NULL)
		goto out;
	env = build_environment(facts);
	if (env == NULL) {
		(void)ca_error_set(err, CA_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (spawn_hook(words, env, &pid, err) != CA_OK)
		goto out;
	log_info("started post-renew-hook %s (pid %ld)", words[0], (long)pid);

	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		/* Without a pidfd, wait without a timeout rather than leak. */
		(void)ca_error_set(err, CA_ERR_INTERNAL, "pidfd_open failed: "
		    "%s; waiting for the hook without a timeout",
		    strerror(errno));
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		result = HOOK_FAILED;
		goto out;
	}
	waited = wait_child(pidfd, stop_fd, monotonic_ms() + timeout_ms);
	if (waited != 1) {
		kill_hook(pid, pidfd);
		result = waited == 0 ? HOOK_TIMED_OUT : HOOK_INTERRUPTED;
		(void)ca_error_set(err, CA_ERR_INTERNAL, "post-renew-hook %s %s; "
		    "killed it", words[0], waited == 0 ?
		    "ran longer than hook-timeout" : "was running at shutdown");
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (waited == 1)
		result = report_exit(words[0], status, err);
out:
	if (pidfd >= 0)
		(void)close(pidfd);
	hook_words_free(words);
	hook_words_free(env);
	return result;
}
