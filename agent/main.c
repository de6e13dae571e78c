#include "cli.h"

int
main(int argc, char **argv)
{
	return agent_main(argc, argv);
}
