/*
 * Named crash points for the crash-safety tests.
 *
 * Only a build with -DCA_CRASH_POINTS contains them; in every other build
 * crash_point() compiles to nothing. In a crash-point build, setting
 * COMPASS_AGENT_CRASH_AT=NAME kills the process with SIGKILL the first time
 * it reaches the point NAME, and NAME@N the N-th time. The process writes
 * one line "crash point NAME reached" to stderr first, so that a test can
 * tell a point that was reached from one that never was.
 */
#ifndef COMPASS_AGENT_CRASHPOINT_H
#define COMPASS_AGENT_CRASHPOINT_H

#ifdef CA_CRASH_POINTS
void crash_point(const char *name);
/* The point "STEP:FILE", such as "after-rename:state.json". */
void crash_point_file(const char *step, const char *file);
#else
static inline void
crash_point(const char *name)
{
	(void)name;
}

static inline void
crash_point_file(const char *step, const char *file)
{
	(void)step;
	(void)file;
}
#endif

#endif
