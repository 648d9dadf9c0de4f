#include "cli.h"
int cli_archive(int argc, char **argv) { (void)argc; (void)argv; return 2; }
