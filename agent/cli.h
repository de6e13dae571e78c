/* The program: process set-up, option parsing, dispatch and exit code. */
#ifndef COMPASS_AGENT_CLI_H
#define COMPASS_AGENT_CLI_H

/* Run compass-agent with argv and return the exit code. */
int agent_main(int argc, char **argv);

#endif
