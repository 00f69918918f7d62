/*
** scout/scout.hpp: libscout's C++ API (the original's scout.hpp), header-only,
** over the C ABI of include/scout.h.
**
** The names and signatures are the original's, in namespace scout: the key
** and hash types with their spans (Microsoft GSL, gsl::span and gsl::byte),
** entry, list_token, list_head, generate_keypair, key_exchange, the entry
** list's serialize and parse, and the callback types dht_session takes
** (scout/dht_session.hpp). What the original lacked comes as additions:
** scout::error (the exception, with the library's status and the text of
** its cause), derive_public_key, and the status type and callbacks of
** dht_session's overloads. MIGRATION.md maps every item to C, Python and
** Rust.
**
** Every function calls libscout, so a program links scout::scout (CMake) or
** `pkg-config --libs scout`; C++17 and GSL 3 or newer (Debian:
** libmsgsl-dev). The wire formats are the library's: nothing here encodes
** or decodes bytes itself.
**
** Errors: a call the library refuses throws scout::error, whose status()
** is the scout_status and whose what() is scout_last_error's text, e.g.
** "scout_list_push_front: message too large: 1000 > 973". An output span too
** small for what is written throws std::length_error, as the original did.
*/
#ifndef SCOUT_SCOUT_HPP
#define SCOUT_SCOUT_HPP

#include <scout.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <gsl/byte>
#include <gsl/span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if __cplusplus < 201703L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 201703L)
#error "scout/scout.hpp needs C++17"
#endif

namespace scout
{

using secret_key = std::array<gsl::byte, SCOUT_KEY_SIZE>;
using secret_key_span = gsl::span<gsl::byte, SCOUT_KEY_SIZE>;
using csecret_key_span = gsl::span<gsl::byte const, SCOUT_KEY_SIZE>;
using public_key = std::array<gsl::byte, SCOUT_KEY_SIZE>;
using public_key_span = gsl::span<gsl::byte, SCOUT_KEY_SIZE>;
using cpublic_key_span = gsl::span<gsl::byte const, SCOUT_KEY_SIZE>;
using hash = std::array<gsl::byte, SCOUT_HASH_SIZE>;
using hash_span = gsl::span<gsl::byte, SCOUT_HASH_SIZE>;
using chash_span = gsl::span<gsl::byte const, SCOUT_HASH_SIZE>;

// What the library refused: its status and the text of its cause.
// (Not in the original, which threw std::length_error for short buffers and
// asserted otherwise.)
class error : public std::runtime_error
{
public:
	error(scout_status status, std::string const& what)
		: std::runtime_error(what), m_status(status) {}

	scout_status status() const noexcept { return m_status; }

private:
	scout_status m_status;
};

namespace detail
{
	// The calling thread's error text (scout_last_error).
	inline std::string last_error()
	{
		char buf[SCOUT_ERROR_STRLEN];
		size_t len = sizeof buf;
		if (scout_last_error(buf, &len) != SCOUT_OK) return std::string();
		return std::string(buf);
	}

	// Throws scout::error for a status other than SCOUT_OK, with the text
	// the call that returned it left on this thread.
	inline void check(scout_status status)
	{
		if (status == SCOUT_OK) return;
		std::string text = last_error();
		if (text.empty()) text = scout_strerror(status);
		throw error(status, text);
	}

	inline uint8_t const* u8(gsl::byte const* p) { return reinterpret_cast<uint8_t const*>(p); }
	inline uint8_t* u8(gsl::byte* p) { return reinterpret_cast<uint8_t*>(p); }

	// Copies src to the front of output and returns the rest of output, or
	// throws std::length_error when it does not fit (the original's flatten).
	inline gsl::span<gsl::byte> write(gsl::span<gsl::byte> output, gsl::byte const* src, std::size_t n)
	{
		if (output.size() < n) throw std::length_error("scout: output span too small");
		if (n > 0) std::memcpy(output.data(), src, n);
		return output.subspan(n);
	}

	// An entry list handle, freed at the end of its scope.
	struct entries_handle
	{
		scout_entries* h = nullptr;
		entries_handle() { check(scout_entries_new(&h)); }
		explicit entries_handle(scout_entries* owned) : h(owned) {}
		entries_handle(entries_handle const&) = delete;
		entries_handle& operator=(entries_handle const&) = delete;
		~entries_handle() { scout_entries_free(h); }
	};

	struct access;
}

// a mutable blob of data
// each entry has an id associated with it which must be unique among the
// entries it is stored with
class entry
{
public:
	entry(uint32_t id) : m_seq(0), m_id(id) {}

	// reads one entry in the wire format from the front of input; returns it
	// and the rest of input
	static std::pair<entry, gsl::span<gsl::byte const>> parse(gsl::span<gsl::byte const> input);
	// writes the entry in the wire format to the front of output; returns
	// the rest of output
	gsl::span<gsl::byte> serialize(gsl::span<gsl::byte> output) const;

	uint32_t id() const { return m_id; }
	std::vector<gsl::byte> const& value() const { return m_contents; }
	// sets the value and increments the sequence number
	void assign(gsl::span<gsl::byte const> contents)
	{
		m_contents.assign(contents.begin(), contents.end());
		++m_seq;
	}

	// convenience: assign any span, as bytes
	template <typename U, std::size_t Extent>
	void assign(gsl::span<U, Extent> s)
	{
		assign(gsl::as_bytes(s));
	}

	bool operator==(entry const& o) const
	{
		return m_id == o.m_id && m_seq == o.m_seq && m_contents == o.m_contents;
	}
	bool operator!=(entry const& o) const { return !(*this == o); }

	// for internal use, as in the original:
	int64_t seq() const { return m_seq; }
	void update_seq(int64_t seq) { m_seq = seq; }
	void update_contents(std::vector<gsl::byte> contents) { m_contents = std::move(contents); }

private:
	friend struct detail::access;
	entry(int64_t seq, uint32_t id, std::vector<gsl::byte> content)
		: m_contents(std::move(content)), m_seq(seq), m_id(id) {}

	std::vector<gsl::byte> m_contents;
	int64_t m_seq;
	uint32_t m_id;
};

// a token is associated with each piece of immutable data stored in a list
// it should be stored alongside the data and passed along with it to put
class list_token
{
public:
	friend class list_head;

	// input span must be exactly the size of the serialized token
	static list_token parse(gsl::span<gsl::byte const> input);
	gsl::span<gsl::byte> serialize(gsl::span<gsl::byte> output) const
	{
		return detail::write(output, m_next.data(), m_next.size());
	}

	// the hash of the message before this one (all zero: none)
	hash const& next() const { return m_next; }

	bool operator==(list_token const& o) const { return m_next == o.m_next; }
	bool operator!=(list_token const& o) const { return !(*this == o); }

private:
	list_token(hash next) : m_next(next) {}

	hash m_next;
};

// The head of a linked list of messages stored in the DHT. New items can
// only be inserted at the head of the list, and the list can only be read
// starting at the head (LIFO).
class list_head
{
public:
	list_head() { m_head.fill(gsl::byte(0)); }

	// input span must be exactly the size of the serialized list head
	static list_head parse(gsl::span<gsl::byte const> input);
	gsl::span<gsl::byte> serialize(gsl::span<gsl::byte> output) const
	{
		return detail::write(output, m_head.data(), m_head.size());
	}

	// adds an item to the list: the head moves to the new item's hash
	// the returned list_token should be stored with the contents and passed
	// to put(); more than SCOUT_MAX_MESSAGE_SIZE bytes throws scout::error
	list_token push_front(gsl::span<gsl::byte const> contents)
	{
		hash token;
		detail::check(scout_list_push_front(detail::u8(m_head.data()), detail::u8(contents.data()),
		                                    contents.size(), detail::u8(token.data())));
		return list_token(token);
	}

	// the hash of the head of the list
	// pass it to get() to retrieve the first item of the list
	hash const& head() const { return m_head; }

	bool operator==(list_head const& o) const { return m_head == o.m_head; }
	bool operator!=(list_head const& o) const { return !(*this == o); }

private:
	list_head(hash head) : m_head(head) {}

	hash m_head;
};

namespace detail
{
	struct access
	{
		static entry make(int64_t seq, uint32_t id, std::vector<gsl::byte> value)
		{
			return entry(seq, id, std::move(value));
		}

		// The entry at index of a C list.
		static entry at(scout_entries const* list, std::size_t index)
		{
			uint32_t id = 0;
			int64_t seq = 0;
			std::vector<gsl::byte> value(SCOUT_MAX_VALUE_SIZE);
			size_t len = value.size();
			check(scout_entries_at(list, index, &id, &seq, u8(value.data()), &len));
			value.resize(len);
			return entry(seq, id, std::move(value));
		}

		// Every entry of a C list, appended to out.
		static void append(scout_entries const* list, std::vector<entry>& out)
		{
			size_t n = 0;
			check(scout_entries_count(list, &n));
			out.reserve(out.size() + n);
			for (std::size_t i = 0; i < n; ++i) out.push_back(at(list, i));
		}

		// Adds (or replaces) e in a C list with its exact seq and value.
		static void set(scout_entries* list, entry const& e)
		{
			check(scout_entries_set(list, e.id(), e.seq(), u8(e.value().data()), e.value().size()));
		}
	};
}

inline std::pair<entry, gsl::span<gsl::byte const>> entry::parse(gsl::span<gsl::byte const> input)
{
	// One entry is a list of one without the list's two-byte header: the
	// library's list parser reads it.
	std::vector<uint8_t> list(SCOUT_ENTRIES_HEADER_SIZE + input.size());
	list[0] = 1;
	list[1] = 0;
	if (!input.empty()) std::memcpy(list.data() + SCOUT_ENTRIES_HEADER_SIZE, input.data(), input.size());
	scout_entries* parsed = nullptr;
	size_t consumed = 0;
	detail::check(scout_entries_parse(list.data(), list.size(), &parsed, &consumed));
	detail::entries_handle owner(parsed);
	return {detail::access::at(parsed, 0), input.subspan(consumed - SCOUT_ENTRIES_HEADER_SIZE)};
}

inline gsl::span<gsl::byte> entry::serialize(gsl::span<gsl::byte> output) const
{
	detail::entries_handle one;
	detail::access::set(one.h, *this);
	std::array<gsl::byte, SCOUT_ENTRIES_HEADER_SIZE + SCOUT_ENTRY_HEADER_SIZE + SCOUT_MAX_VALUE_SIZE> buf;
	size_t len = buf.size();
	detail::check(scout_entries_serialize(one.h, detail::u8(buf.data()), &len));
	return detail::write(output, buf.data() + SCOUT_ENTRIES_HEADER_SIZE, len - SCOUT_ENTRIES_HEADER_SIZE);
}

inline list_token list_token::parse(gsl::span<gsl::byte const> input)
{
	if (input.size() != SCOUT_HASH_SIZE) throw std::length_error("scout: a list token is 20 bytes");
	hash h;
	std::memcpy(h.data(), input.data(), h.size());
	return list_token(h);
}

inline list_head list_head::parse(gsl::span<gsl::byte const> input)
{
	if (input.size() != SCOUT_HASH_SIZE) throw std::length_error("scout: a list head is 20 bytes");
	hash h;
	std::memcpy(h.data(), input.data(), h.size());
	return list_head(h);
}

// generate a new, random X25519 key pair
inline std::pair<secret_key, public_key> generate_keypair()
{
	secret_key sk;
	public_key pk;
	detail::check(scout_generate_keypair(detail::u8(sk.data()), detail::u8(pk.data())));
	return {sk, pk};
}

// the shared secret of an X25519 key exchange, the same on both sides; a
// low-order public key (whose result would be all zero) throws scout::error
inline secret_key key_exchange(csecret_key_span sk, cpublic_key_span pk)
{
	secret_key shared;
	detail::check(scout_key_exchange(detail::u8(sk.data()), detail::u8(pk.data()), detail::u8(shared.data())));
	return shared;
}

// the public key of a secret key (not in the original, whose example
// client called libsodium's crypto_scalarmult_base for it)
inline public_key derive_public_key(csecret_key_span sk)
{
	public_key pk;
	detail::check(scout_public_key(detail::u8(sk.data()), detail::u8(pk.data())));
	return pk;
}

// writes a list of entries to the front of output in the wire format;
// returns the rest of output (more than SCOUT_MAX_ENTRIES entries throws
// scout::error)
inline gsl::span<gsl::byte> serialize(gsl::span<entry const> entries, gsl::span<gsl::byte> output)
{
	if (entries.size() > SCOUT_MAX_ENTRIES)
		throw error(SCOUT_TOO_LARGE, "scout: " + std::to_string(entries.size()) + " entries, at most 255 fit a list");
	gsl::byte const header[SCOUT_ENTRIES_HEADER_SIZE] = {gsl::byte(entries.size()), gsl::byte(0)};
	output = detail::write(output, header, sizeof header);
	for (entry const& e : entries) output = e.serialize(output);
	return output;
}

// parses a list of entries as serialize() writes it, appending them to
// entries; returns the rest of input
inline gsl::span<gsl::byte const> parse(gsl::span<gsl::byte const> input, std::vector<entry>& entries)
{
	scout_entries* parsed = nullptr;
	size_t consumed = 0;
	detail::check(scout_entries_parse(detail::u8(input.data()), input.size(), &parsed, &consumed));
	detail::entries_handle owner(parsed);
	detail::access::append(parsed, entries);
	return input.subspan(consumed);
}

// called when a new or updated entry is received from the DHT
using entry_updated = std::function<void(entry const& e)>;
// called just before the list of entries is stored in the DHT
using finalize_entries = std::function<void(std::vector<entry>& entries)>;
// called when storing the current entry list has completed
using sync_finished = std::function<void()>;
// called when the value associated with the hash has been received
// if no value is found, contents is empty (and next_hash all zero)
using item_received = std::function<void(std::vector<gsl::byte> contents, hash const& next_hash)>;
// called when a put has completed
using put_finished = std::function<void()>;

// What an operation ended with (not in the original): the library's status
// and the text of its cause ("" for SCOUT_OK).
struct status
{
	scout_status code = SCOUT_OK;
	std::string message;

	bool ok() const { return code == SCOUT_OK; }
};

// The callbacks of dht_session's overloads that report how an operation
// ended: exactly once, on the library's thread, with SCOUT_CANCELLED when
// the session stops first.
using sync_finished_with_status = std::function<void(status const& st, int64_t seq, uint32_t stored)>;
using put_finished_with_status = std::function<void(status const& st, hash const& stored_at)>;
using item_received_with_status =
	std::function<void(status const& st, std::vector<gsl::byte> contents, hash const& next_hash)>;

} // namespace scout

#endif
