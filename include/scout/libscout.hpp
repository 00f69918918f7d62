/*
** scout/libscout.hpp: everything a program written against the original
** libscout found in scope after including its scout.hpp and
** dht_session.hpp, for such a program to compile changing only its include
** lines:
**
**     #include <scout.hpp>            ->   #include <scout/libscout.hpp>
**     #include <dht_session.hpp>
**
** That is this library's scout/scout.hpp and scout/dht_session.hpp, the
** standard headers the original's pulled in on the way (through Boost.Asio
** and its own utils.hpp) and that its example client relied on, and
** `using namespace scout;`, which the original's utils.hpp declared at
** global scope for every file that included dht_session.hpp. New code
** includes scout/scout.hpp and scout/dht_session.hpp and writes scout::
** instead.
*/
#ifndef SCOUT_LIBSCOUT_HPP
#define SCOUT_LIBSCOUT_HPP

#include <scout/dht_session.hpp>
#include <scout/scout.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

using namespace scout;

#endif
