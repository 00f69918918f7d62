/*
** scout/dht_session.hpp: libscout's dht_session (the original's
** dht_session.hpp), header-only, over the C ABI of include/scout.h.
**
** A DHT node running in the background. As in the original: construct,
** start(), call synchronize / put / get, whose callbacks run on the
** library's thread (one per session, never two at once), stop() or let the
** destructor stop it. What the original lacked comes as overloads:
** session_options (bootstrap nodes, listen address, state file, timeout,
** read-only, port mapping, a log sink), and synchronize / put / get forms whose callback
** gets a scout::status (the library's status and the text of its cause).
**
** The bootstrap: the original always joined through the public routers.
** Here a session whose options leave the bootstrap unset (the default
** constructor does) joins through the nodes $SCOUT_BOOTSTRAP lists
** ("host:port[,host:port...]") when it is set, else the public routers; so
** a program written for the original runs unchanged on a private or
** loopback swarm.
**
** Callbacks and exceptions:
**   - the original's callbacks (sync_finished, put_finished, item_received)
**     run once per operation, whatever it ended with (item_received gets
**     empty contents when the item was not found or the get failed), except
**     for operations still in flight when stop() or the destructor runs:
**     those are dropped, as the original aborted them; the _with_status
**     callbacks run exactly once, then with SCOUT_CANCELLED;
**   - an operation the library refuses to start (the session is not
**     running, a message too large) throws scout::error from the call, and
**     none of its callbacks runs;
**   - callbacks must not throw: an exception leaving one ends the program
**     (std::terminate), as it ended the original's network thread.
*/
#ifndef SCOUT_DHT_SESSION_HPP
#define SCOUT_DHT_SESSION_HPP

#include <scout/scout.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace scout
{

// How to run a dht_session (not in the original). Every field left alone
// means the library's default.
struct session_options
{
	// "host:port[,host:port...]" nodes to join through; "" for none (only
	// the state file's). Unset: $SCOUT_BOOTSTRAP, else the public routers.
	std::optional<std::string> bootstrap;
	// UDP address to bind, "host:port". Empty: a random port.
	std::string listen;
	// File keeping the node id and good nodes between runs. Empty: none.
	std::string state_file;
	// Deadline of each operation. Zero: 30 s.
	std::chrono::milliseconds timeout{0};
	// Announce the node as read-only (BEP 43), for short-lived nodes.
	bool read_only = false;
	// Map the node's UDP port on the home router (PCP, NAT-PMP or UPnP
	// IGD): true always, false never. Unset: map when the node is a full
	// node of the public DHT on a LAN or public address (never on loopback
	// or for a test swarm), as the original did for every node. The mapping
	// is made in the background after start() and removed by stop();
	// scout_session_port_mapping(native_handle(), ...) reports it.
	std::optional<bool> port_map;
	// Receives the library's diagnostic lines (level: SCOUT_LOG_*), on the
	// library's thread. Empty: nothing is logged.
	std::function<void(int level, char const* line)> log;
	// The least severe level passed to log.
	int log_level = SCOUT_LOG_INFO;
};

class dht_session
{
public:
	dht_session() : dht_session(session_options()) {}

	// Creates the session, not started yet; unusable options (a malformed
	// address) throw scout::error.
	explicit dht_session(session_options opts) : m_shared(std::make_shared<shared>())
	{
		m_shared->log = std::move(opts.log);
		scout_session_options o;
		detail::check(scout_session_options_init(&o));
		if (opts.bootstrap) o.bootstrap = opts.bootstrap->c_str();
		if (!opts.listen.empty()) o.listen_addr = opts.listen.c_str();
		if (!opts.state_file.empty()) o.state_file = opts.state_file.c_str();
		o.timeout_ms = static_cast<uint32_t>(opts.timeout.count());
		o.read_only = opts.read_only ? 1 : 0;
		if (opts.port_map) o.port_map = *opts.port_map ? SCOUT_PORT_MAP_ON : SCOUT_PORT_MAP_OFF;
		if (m_shared->log)
		{
			o.log = &on_log;
			o.log_user = m_shared.get();
			o.log_level = opts.log_level;
		}
		detail::check(scout_session_new(&o, &m_session));
	}

	dht_session(dht_session const&) = delete;
	dht_session& operator=(dht_session const&) = delete;

	// Stops the session if it runs; operations in flight are aborted (see
	// the top of this file), and no callback runs once this returns.
	~dht_session()
	{
		m_shared->stopping.store(true);
		scout_session_free(m_session);
	}

	// Starts the node: binds a socket and joins the DHT. Returns 0 when the
	// session is ready to handle requests, otherwise the scout_status that
	// says why not (start_status() has its text). A session starts once.
	int start()
	{
		scout_status st = scout_session_start(m_session);
		m_start_status = status{st, st == SCOUT_OK ? std::string() : detail::last_error()};
		return static_cast<int>(st);
	}

	// How the last start() ended, with the text of its cause.
	status const& start_status() const { return m_start_status; }

	// Stops the node: network activity ends and outstanding requests are
	// aborted. Stopping twice, or a session never started, does nothing.
	void stop()
	{
		m_shared->stopping.store(true);
		scout_session_stop(m_session);
	}

	// Synchronizes a list of entries with the DHT: reads the list shared_key
	// identifies, calls entry_cb for each entry that is new or newer than
	// the one in entries, finalize_cb with the merged list (change it there:
	// it is what gets written), then writes it and calls finished_cb.
	void synchronize(secret_key_span shared_key, std::vector<entry> entries, entry_updated entry_cb,
	                 finalize_entries finalize_cb, sync_finished finished_cb)
	{
		auto* op = new sync_op{m_shared, std::move(entry_cb), std::move(finalize_cb), std::move(finished_cb), {}};
		start_sync(op, shared_key, entries);
	}

	// As above; finished_cb gets the status, and on success the item's
	// sequence number as written and how many nodes stored it.
	void synchronize(secret_key_span shared_key, std::vector<entry> entries, entry_updated entry_cb,
	                 finalize_entries finalize_cb, sync_finished_with_status finished_cb)
	{
		auto* op = new sync_op{m_shared, std::move(entry_cb), std::move(finalize_cb), {}, std::move(finished_cb)};
		start_sync(op, shared_key, entries);
	}

	// Stores an immutable item in the DHT: contents, chained to the message
	// before it by token (from list_head::push_front).
	void put(list_token const& token, gsl::span<gsl::byte const> contents, put_finished finished_cb)
	{
		start_put(new put_op{m_shared, std::move(finished_cb), {}}, token, contents);
	}

	// As above; finished_cb gets the status and the hash stored at.
	void put(list_token const& token, gsl::span<gsl::byte const> contents, put_finished_with_status finished_cb)
	{
		start_put(new put_op{m_shared, {}, std::move(finished_cb)}, token, contents);
	}

	// Retrieves the immutable item stored under address: received_cb gets
	// its contents and the hash of the next message (all zero at the list's
	// end); empty contents when nothing is found.
	void get(hash_span address, item_received received_cb)
	{
		start_get(new get_op{m_shared, std::move(received_cb), {}}, address.data());
	}

	// As above, for a hash held as a const array (list_head::head()).
	void get(hash const& address, item_received received_cb)
	{
		start_get(new get_op{m_shared, std::move(received_cb), {}}, address.data());
	}

	// As above; received_cb gets the status (SCOUT_NOT_FOUND when no node
	// holds the item).
	void get(hash_span address, item_received_with_status received_cb)
	{
		start_get(new get_op{m_shared, {}, std::move(received_cb)}, address.data());
	}

	void get(hash const& address, item_received_with_status received_cb)
	{
		start_get(new get_op{m_shared, {}, std::move(received_cb)}, address.data());
	}

	// The UDP port the node is bound to, once started.
	uint16_t port() const
	{
		uint16_t p = 0;
		detail::check(scout_session_port(m_session, &p));
		return p;
	}

	// A snapshot of what the node does (scout_session_stats): each family's
	// routing table, items stored, queries by method each way, datagrams
	// and bytes, operations by outcome, external addresses. Zeros before
	// start(). Not in the original, which reported nothing.
	scout_stats stats() const
	{
		scout_stats st{};
		st.size = sizeof st;
		detail::check(scout_session_stats(m_session, &st));
		return st;
	}

	// The C handle, for what only the C API offers (scout_*_op,
	// scout_get_list). It stays owned by this object.
	scout_session* native_handle() const { return m_session; }

private:
	// What the C callbacks reach: it outlives the session handle.
	struct shared
	{
		std::atomic<bool> stopping{false};
		std::function<void(int, char const*)> log;
	};

	struct sync_op
	{
		std::shared_ptr<shared> session;
		entry_updated entry_cb;
		finalize_entries finalize_cb;
		sync_finished finished_cb;
		sync_finished_with_status finished_status_cb;
		scout_entries* list = nullptr;
	};

	struct put_op
	{
		std::shared_ptr<shared> session;
		put_finished finished_cb;
		put_finished_with_status finished_status_cb;
	};

	struct get_op
	{
		std::shared_ptr<shared> session;
		item_received received_cb;
		item_received_with_status received_status_cb;
	};

	static status completion_status(scout_status st)
	{
		return status{st, st == SCOUT_OK ? std::string() : detail::last_error()};
	}

	// Whether an original-style callback is skipped: its operation was
	// aborted by stop() or the destructor.
	static bool aborted(shared const& s, scout_status st) { return st == SCOUT_CANCELLED && s.stopping.load(); }

	void start_sync(sync_op* op, secret_key_span shared_key, std::vector<entry> const& entries)
	{
		std::unique_ptr<sync_op> owner(op);
		scout_status st = scout_entries_new(&op->list);
		if (st == SCOUT_OK)
		{
			try
			{
				for (entry const& e : entries) detail::access::set(op->list, e);
			}
			catch (...)
			{
				scout_entries_free(op->list);
				throw;
			}
			st = scout_synchronize(m_session, detail::u8(shared_key.data()), op->list,
			                       op->entry_cb ? &on_entry : nullptr, &on_finalize, &on_sync_finished, op);
			if (st != SCOUT_OK) scout_entries_free(op->list);
		}
		detail::check(st);
		owner.release(); // the completion deletes it
	}

	void start_put(put_op* op, list_token const& token, gsl::span<gsl::byte const> contents)
	{
		std::unique_ptr<put_op> owner(op);
		detail::check(scout_put(m_session, detail::u8(token.next().data()), detail::u8(contents.data()),
		                        contents.size(), &on_put_finished, op));
		owner.release();
	}

	void start_get(get_op* op, gsl::byte const* address)
	{
		std::unique_ptr<get_op> owner(op);
		detail::check(scout_get(m_session, detail::u8(address), &on_get_received, op));
		owner.release();
	}

	// --- the C callbacks: on the library's thread, never throwing out ----

	static void on_log(void* user, int level, char const* line) noexcept
	{
		static_cast<shared*>(user)->log(level, line);
	}

	static void on_entry(void* user, uint32_t id, int64_t seq, uint8_t const* value, size_t len) noexcept
	{
		auto* op = static_cast<sync_op*>(user);
		auto const* p = reinterpret_cast<gsl::byte const*>(value);
		op->entry_cb(detail::access::make(seq, id, std::vector<gsl::byte>(p, p + len)));
	}

	static void on_finalize(void* user, scout_entries* list) noexcept
	{
		auto* op = static_cast<sync_op*>(user);
		if (!op->finalize_cb) return;
		// The callback sees the merged list as a vector and changes it; what
		// it leaves there is what is written.
		std::vector<entry> merged;
		detail::access::append(list, merged);
		op->finalize_cb(merged);
		size_t n = 0;
		scout_entries_count(list, &n);
		std::vector<uint32_t> ids;
		for (std::size_t i = 0; i < n; ++i)
		{
			uint32_t id = 0;
			if (scout_entries_at(list, i, &id, nullptr, nullptr, nullptr) == SCOUT_OK) ids.push_back(id);
		}
		for (uint32_t id : ids) scout_entries_remove(list, id);
		for (entry const& e : merged)
			scout_entries_set(list, e.id(), e.seq(), detail::u8(e.value().data()), e.value().size());
	}

	static void on_sync_finished(void* user, scout_status st, int64_t seq, uint32_t stored, uint32_t) noexcept
	{
		std::unique_ptr<sync_op> op(static_cast<sync_op*>(user));
		status result = completion_status(st);
		scout_entries_free(op->list);
		if (op->finished_status_cb) op->finished_status_cb(result, seq, stored);
		else if (op->finished_cb && !aborted(*op->session, st)) op->finished_cb();
	}

	static void on_put_finished(void* user, scout_status st, uint8_t const* h, uint32_t) noexcept
	{
		std::unique_ptr<put_op> op(static_cast<put_op*>(user));
		status result = completion_status(st);
		hash stored_at;
		std::memcpy(stored_at.data(), h, stored_at.size());
		if (op->finished_status_cb) op->finished_status_cb(result, stored_at);
		else if (op->finished_cb && !aborted(*op->session, st)) op->finished_cb();
	}

	static void on_get_received(void* user, scout_status st, uint8_t const* msg, size_t len,
	                            uint8_t const* next) noexcept
	{
		std::unique_ptr<get_op> op(static_cast<get_op*>(user));
		status result = completion_status(st);
		auto const* p = reinterpret_cast<gsl::byte const*>(msg);
		std::vector<gsl::byte> contents(p, p + len);
		hash next_hash;
		std::memcpy(next_hash.data(), next, next_hash.size());
		if (op->received_status_cb) op->received_status_cb(result, std::move(contents), next_hash);
		else if (op->received_cb && !aborted(*op->session, st)) op->received_cb(std::move(contents), next_hash);
	}

	std::shared_ptr<shared> m_shared;
	scout_session* m_session = nullptr;
	status m_start_status;
};

} // namespace scout

#endif
