/* The one hook vectors.c needs from the test framework: fail the current
   case. Each test program that uses vectors.c defines it. */
#ifndef SCOUT_TESTING_FAIL_H
#define SCOUT_TESTING_FAIL_H
void vec_fail(const char *what);
#endif
