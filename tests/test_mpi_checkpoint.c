/* tests/test_checkpoint.c on 2 ranks: rank 0 does the I/O, the other rank
   gets every value and every error through broadcasts. */
#include "test_checkpoint.c"
