// The C++ API (include/scout/*.hpp) over the C ABI: the original's types
// and functions with its semantics, the errors it throws, and dht_session on
// a loopback swarm: Alice and Bob synchronize, an offline message is put and
// read back, a missing one reads as empty, the status overloads report how
// operations end, and stop() and the destructor abort what is in flight
// (the original's callbacks are dropped, the status callbacks get
// SCOUT_CANCELLED, exactly once).
//   test_cxx [NODES]
#include <scout/dht_session.hpp>
#include <scout/scout.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "testing.h"

namespace
{
	std::vector<gsl::byte> bytes(std::string const& s)
	{
		auto b = gsl::as_bytes(gsl::span<char const>(s.data(), s.size()));
		return std::vector<gsl::byte>(b.begin(), b.end());
	}

	std::vector<gsl::byte> unhex(char const* hex)
	{
		std::vector<gsl::byte> out;
		for (std::size_t i = 0; hex[i] && hex[i + 1]; i += 2)
		{
			char pair[3] = {hex[i], hex[i + 1], 0};
			out.push_back(gsl::byte(std::strtoul(pair, nullptr, 16)));
		}
		return out;
	}

	std::string text(std::vector<gsl::byte> const& v) { return std::string(reinterpret_cast<char const*>(v.data()), v.size()); }

	// Waits for callbacks on the library's thread.
	struct waiter
	{
		std::mutex m;
		std::condition_variable cv;
		int count = 0;

		void signal()
		{
			std::lock_guard<std::mutex> l(m);
			++count;
			cv.notify_all();
		}

		bool wait(int n = 1, int seconds = 60)
		{
			std::unique_lock<std::mutex> l(m);
			return cv.wait_for(l, std::chrono::seconds(seconds), [&] { return count >= n; });
		}
	};

	std::thread::id const main_thread = std::this_thread::get_id();
	std::atomic<int> on_main_thread{0};
	void on_library_thread()
	{
		if (std::this_thread::get_id() == main_thread) ++on_main_thread;
	}

	void test_types()
	{
		t_begin("cxx", "entry as the original");
		scout::entry e(111);
		CHECK(e.id() == 111 && e.seq() == 0 && e.value().empty());
		e.assign(unhex("00010203040506070809"));
		CHECK(e.seq() == 1);
		e.assign(gsl::span<char const>("abc", 3)); // any span, as bytes
		CHECK(e.seq() == 2 && text(e.value()) == "abc");
		e.update_seq(1);
		e.update_contents(unhex("00010203040506070809"));

		t_begin("cxx", "entry serialize and parse: the original's vector");
		std::vector<gsl::byte> buf(64);
		auto rest = e.serialize(buf);
		std::vector<gsl::byte> written(buf.begin(), buf.begin() + (buf.size() - rest.size()));
		CHECK(written == unhex("00000000000000010000006f00000a0000010203040506070809"));
		auto parsed = scout::entry::parse(written);
		CHECK(parsed.first == e && parsed.second.empty());
		std::vector<gsl::byte> small(10);
		bool threw = false;
		try { e.serialize(small); } catch (std::length_error const&) { threw = true; }
		CHECK(threw);
		threw = false;
		try { scout::entry::parse(gsl::span<gsl::byte const>(written.data(), 5)); }
		catch (scout::error const& ex) { threw = ex.status() == SCOUT_INVALID_ARGUMENT && std::strstr(ex.what(), "scout_entries_parse: malformed") != nullptr; }
		CHECK(threw);

		t_begin("cxx", "entry lists: serialize, parse appends");
		std::vector<scout::entry> list{e, scout::entry(7)};
		list[1].assign(bytes("seven"));
		rest = scout::serialize(gsl::span<scout::entry const>(list), buf);
		std::vector<gsl::byte> all(buf.begin(), buf.begin() + (buf.size() - rest.size()));
		CHECK(all.size() == 2 + 26 + 21 && all[0] == gsl::byte(2));
		std::vector<scout::entry> back{scout::entry(99)};
		auto after = scout::parse(all, back);
		CHECK(after.empty() && back.size() == 3 && back[1] == list[0] && back[2] == list[1]);

		t_begin("cxx", "list_head and list_token");
		scout::list_head head;
		CHECK(head.head() == scout::hash{});
		scout::list_token first = head.push_front(bytes("first"));
		CHECK(first.next() == scout::hash{});
		scout::hash h1 = head.head();
		scout::list_token second = head.push_front(bytes("second"));
		CHECK(second.next() == h1 && !(second == first));
		uint8_t c_head[SCOUT_HASH_SIZE] = {0}, c_token[SCOUT_HASH_SIZE];
		CHECK_OK(scout_list_push_front(c_head, reinterpret_cast<uint8_t const*>("first"), 5, c_token));
		CHECK(std::memcmp(c_head, h1.data(), 20) == 0);
		scout::hash ser;
		head.serialize(ser);
		CHECK(scout::list_head::parse(ser) == head);
		second.serialize(ser);
		CHECK(scout::list_token::parse(ser) == second);
		threw = false;
		try { scout::list_token::parse(gsl::span<gsl::byte const>(ser.data(), 19)); } catch (std::length_error const&) { threw = true; }
		CHECK(threw);
		threw = false;
		try { head.push_front(std::vector<gsl::byte>(SCOUT_MAX_MESSAGE_SIZE + 1)); }
		catch (scout::error const& ex) { threw = ex.status() == SCOUT_TOO_LARGE && std::string(ex.what()) == "scout_list_push_front: message too large: 974 > 973"; }
		CHECK(threw);
		CHECK(head.head() != h1); // unchanged by the refused push

		t_begin("cxx", "keys");
		auto alice = scout::generate_keypair();
		auto bob = scout::generate_keypair();
		CHECK(scout::derive_public_key(alice.first) == alice.second);
		CHECK(scout::key_exchange(alice.first, bob.second) == scout::key_exchange(bob.first, alice.second));
		threw = false;
		try { scout::key_exchange(alice.first, scout::public_key{}); }
		catch (scout::error const& ex) { threw = ex.status() == SCOUT_INVALID_ARGUMENT && std::strstr(ex.what(), "low order") != nullptr; }
		CHECK(threw);
	}

	void test_session(std::string const& bootstrap)
	{
		scout::session_options opts;
		opts.bootstrap = bootstrap;
		opts.listen = "127.0.0.1:0";

		t_begin("cxx", "a session refuses operations before start");
		scout::dht_session idle(opts);
		scout::list_head head;
		scout::list_token token = head.push_front(bytes("back at six"));
		bool threw = false;
		try { idle.put(token, bytes("back at six"), []() {}); }
		catch (scout::error const& ex) { threw = ex.status() == SCOUT_WRONG_STATE && std::strstr(ex.what(), "scout_put: the session is not running") != nullptr; }
		CHECK(threw);
		scout::session_options bad = opts;
		bad.bootstrap = "nowhere";
		threw = false;
		try { scout::dht_session broken(bad); } catch (scout::error const& ex) { threw = std::strstr(ex.what(), "\"nowhere\"") != nullptr; }
		CHECK(threw);

		t_begin("cxx", "port mapping: the option, and none on loopback");
		for (bool on : {true, false})
		{
			scout::session_options pm = opts;
			pm.port_map = on;  // not started: no router is asked
			scout::dht_session s(pm);
			CHECK(scout_session_port_mapping(s.native_handle(), nullptr, nullptr, nullptr, nullptr, nullptr) == SCOUT_NOT_FOUND);
		}
		{
			scout::dht_session s(opts);  // unset: the default rule, off on a test swarm
			CHECK(s.start() == 0);
			char external[SCOUT_ADDR_STRLEN] = "";
			CHECK(scout_session_port_mapping(s.native_handle(), nullptr, external, nullptr, nullptr, nullptr) == SCOUT_NOT_FOUND);
			CHECK(external[0] == '\0');
		}

		t_begin("cxx", "Alice and Bob synchronize");
		scout::dht_session alice(opts), bob(opts);
		CHECK(alice.start() == 0 && bob.start() == 0);
		CHECK(alice.start() == SCOUT_WRONG_STATE && !alice.start_status().message.empty());
		CHECK(alice.port() != 0);
		auto ak = scout::generate_keypair(), bk = scout::generate_keypair();
		scout::secret_key shared = scout::key_exchange(ak.first, bk.second);
		waiter w;
		scout::entry a(1);
		a.assign(bytes("laptop 10.0.0.5:4000"));
		alice.synchronize(shared, {a}, [](scout::entry const&) {}, [](std::vector<scout::entry>&) {}, [&]() { on_library_thread(); w.signal(); });
		CHECK(w.wait(1));

		std::vector<scout::entry> seen, final_list;
		scout::entry b(2);
		b.assign(bytes("desktop 10.0.1.7:4000"));
		scout::status sync_status;
		int64_t seq = 0;
		bob.synchronize(shared, {b},
			[&](scout::entry const& e) { on_library_thread(); seen.push_back(e); },
			[&](std::vector<scout::entry>& merged) {
				scout::entry extra(3);
				extra.assign(bytes("added in finalize"));
				merged.push_back(extra);
				final_list = merged;
			},
			[&](scout::status const& st, int64_t written_seq, uint32_t) { sync_status = st; seq = written_seq; w.signal(); });
		CHECK(w.wait(2));
		CHECK(sync_status.ok() && sync_status.message.empty() && seq >= 2);
		CHECK(seen.size() == 1 && seen[0] == a);
		CHECK(final_list.size() == 3);

		// Alice reads back all three, finalize added included.
		std::vector<scout::entry> alice_sees;
		alice.synchronize(shared, {a}, [&](scout::entry const& e) { alice_sees.push_back(e); }, nullptr, [&]() { w.signal(); });
		CHECK(w.wait(3));
		CHECK(alice_sees.size() == 2);

		t_begin("cxx", "put and get, and a missing item reads as empty");
		alice.put(token, bytes("back at six"), [&]() { w.signal(); });
		CHECK(w.wait(4));
		std::vector<gsl::byte> got;
		scout::hash next;
		next.fill(gsl::byte(1));
		bob.get(head.head(), [&](std::vector<gsl::byte> contents, scout::hash const& n) { got = contents; next = n; w.signal(); });
		CHECK(w.wait(5));
		CHECK(text(got) == "back at six" && next == scout::hash{});
		scout::hash nowhere;
		nowhere.fill(gsl::byte(0x5a));
		got = bytes("x");
		bob.get(nowhere, [&](std::vector<gsl::byte> contents, scout::hash const&) { got = contents; w.signal(); });
		CHECK(w.wait(6));
		CHECK(got.empty());
		scout::status get_status;
		bob.get(nowhere, [&](scout::status const& st, std::vector<gsl::byte>, scout::hash const&) { get_status = st; w.signal(); });
		CHECK(w.wait(7));
		CHECK(get_status.code == SCOUT_NOT_FOUND && get_status.message.rfind("scout_get: not found", 0) == 0);
		scout::status put_status;
		scout::hash stored_at;
		scout::list_token token2 = head.push_front(bytes("later"));
		alice.put(token2, bytes("later"), [&](scout::status const& st, scout::hash const& at) { put_status = st; stored_at = at; w.signal(); });
		CHECK(w.wait(8));
		CHECK(put_status.ok() && stored_at == head.head());

		t_begin("cxx", "stats: the put and the gets above, counted");
		scout_stats ast = alice.stats(), bst = bob.stats();
		CHECK(ast.size == sizeof ast && ast.good_nodes > 0 && ast.nodes6 == 0);
		CHECK(ast.queries_out[SCOUT_QUERY_PUT] > 0 && ast.ops_ok >= 2);
		CHECK(bst.queries_out[SCOUT_QUERY_GET] > 0 && bst.ops_not_found >= 2);
		CHECK(bst.bytes_in > 0 && bst.datagrams_out > 0);

		t_begin("cxx", "stop aborts: the original's callbacks are dropped, status callbacks get CANCELLED");
		std::atomic<int> original_calls{0}, cancelled_calls{0};
		scout::status cancelled;
		waiter done;
		{
			scout::dht_session s1(opts), s2(opts);
			CHECK(s1.start() == 0 && s2.start() == 0);
			// stop() from the operation's own finalize: it is in flight then
			s1.synchronize(shared, {a}, nullptr, [&](std::vector<scout::entry>&) { s1.stop(); done.signal(); },
				[&]() { ++original_calls; });
			s2.synchronize(shared, {b}, nullptr, [&](std::vector<scout::entry>&) { s2.stop(); },
				[&](scout::status const& st, int64_t, uint32_t) { cancelled = st; ++cancelled_calls; done.signal(); });
			CHECK(done.wait(2));
		}
		CHECK(original_calls.load() == 0 && cancelled_calls.load() == 1);
		CHECK(cancelled.code == SCOUT_CANCELLED);
		CHECK(cancelled.message == "scout_synchronize: cancelled: the session was stopped");
	}

	// The destructor aborts what is in flight: a session whose peers are
	// gone keeps its gets in flight (their queries are never answered).
	void test_destructor(unsigned nodes)
	{
		t_begin("cxx", "the destructor aborts what is in flight");
		scout_swarm* gone = nullptr;
		CHECK_OK(scout_swarm_start(nodes, 0, &gone));
		char addr[SCOUT_ADDR_STRLEN];
		size_t len = sizeof addr;
		CHECK_OK(scout_swarm_bootstrap(gone, addr, &len));
		scout::session_options opts;
		opts.bootstrap = addr;
		opts.listen = "127.0.0.1:0";
		std::atomic<int> original_calls{0}, status_calls{0};
		scout::status st;
		{
			scout::dht_session s(opts);
			CHECK(s.start() == 0);
			scout_swarm_free(gone);
			scout::hash h;
			h.fill(gsl::byte(0xcd));
			s.get(h, [&](std::vector<gsl::byte>, scout::hash const&) { ++original_calls; });
			s.get(h, [&](scout::status const& got, std::vector<gsl::byte>, scout::hash const&) { st = got; ++status_calls; });
		}
		CHECK(original_calls.load() == 0 && status_calls.load() == 1);
		CHECK(st.code == SCOUT_CANCELLED && st.message == "scout_get: cancelled: the session was freed");
	}
}

int main(int argc, char** argv)
{
	unsigned nodes = argc > 1 ? unsigned(std::atoi(argv[1])) : 16;
	setvbuf(stdout, nullptr, _IOLBF, 0);
	test_types();

	t_begin("swarm", "start");
	scout_swarm* swarm = nullptr;
	CHECK_OK(scout_swarm_start(nodes, 0, &swarm));
	char addr[SCOUT_ADDR_STRLEN];
	size_t len = sizeof addr;
	CHECK_OK(scout_swarm_bootstrap(swarm, addr, &len));
	if (swarm == nullptr) return t_summary();
	test_session(addr);
	scout_swarm_free(swarm);
	test_destructor(nodes);

	t_begin("cxx", "callbacks ran on the library's thread");
	CHECK(on_main_thread.load() == 0);
	t_begin("handles", "none leaked");
	size_t live = 99;
	CHECK_OK(scout_handle_count(&live));
	CHECK(live == 0);
	return t_summary();
}
