// dht_client: a command-line client written against libscout's C++ API in
// the style of the original's example client: a dht_session started with
// its defaults, callbacks on the library's thread, a condition variable to
// wait for them. It uses only what the original offered, plus
// scout::derive_public_key (the original's client called libsodium for
// it). Built against the installed package (examples/CMakeLists.txt).
//
// Like the original, it joins the public DHT; set SCOUT_BOOTSTRAP to a
// private or loopback swarm's "host:port" to run it there.
//
//   dht_client gen-key FILE                   new key pair, secret key to FILE
//   dht_client dump-key FILE                  print the public key
//   dht_client sync FILE PEER_PUBLIC ID VALUE set entry ID, synchronize, print
//                                             every entry as "ID SEQ VALUE"
//   dht_client put MESSAGE [LIST_FILE]        store a message (chained to the
//                                             list whose head LIST_FILE keeps)
//   dht_client get HASH                       print a message and the next hash
#include <scout/dht_session.hpp>
#include <scout/scout.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <string>

namespace
{
	char const hex_digits[] = "0123456789abcdef";

	std::string to_hex(gsl::span<gsl::byte const> bytes)
	{
		std::string out;
		for (gsl::byte b : bytes)
		{
			out += hex_digits[std::to_integer<int>(b) >> 4];
			out += hex_digits[std::to_integer<int>(b) & 0xf];
		}
		return out;
	}

	bool from_hex(std::string const& text, gsl::span<gsl::byte> out)
	{
		if (text.size() != out.size() * 2) return false;
		for (std::size_t i = 0; i < out.size(); ++i)
		{
			char const* hi = std::strchr(hex_digits, text[2 * i]);
			char const* lo = std::strchr(hex_digits, text[2 * i + 1]);
			if (hi == nullptr || lo == nullptr || *hi == '\0' || *lo == '\0') return false;
			out[i] = gsl::byte((hi - hex_digits) << 4 | (lo - hex_digits));
		}
		return true;
	}

	gsl::span<gsl::byte const> bytes_of(std::string const& s)
	{
		return gsl::as_bytes(gsl::span<char const>(s.data(), s.size()));
	}

	std::string text_of(std::vector<gsl::byte> const& v)
	{
		return std::string(reinterpret_cast<char const*>(v.data()), v.size());
	}

	// One operation's end, signalled from the library's thread.
	struct completion
	{
		std::mutex m;
		std::condition_variable cv;
		bool done = false;

		void signal()
		{
			std::lock_guard<std::mutex> l(m);
			done = true;
			cv.notify_all();
		}

		void wait()
		{
			std::unique_lock<std::mutex> l(m);
			cv.wait(l, [this] { return done; });
		}
	};

	[[noreturn]] void usage()
	{
		std::cerr << "Usage: dht_client <command> [args]\n"
			"Commands:\n"
			"gen-key <file name>                        - generate a key pair, store the secret key in the file\n"
			"dump-key <file name>                       - print the public key of the secret key in the file\n"
			"sync <file name> <public key> <id> <value> - set entry <id> to <value> and synchronize the list\n"
			"                                             shared with the peer whose public key is given\n"
			"put <message> [<list file>]                - store an offline message in the DHT\n"
			"get <hash>                                 - get the message with the given hash\n";
		std::exit(1);
	}

	scout::secret_key load_key(std::string const& filename)
	{
		std::ifstream in(filename, std::ios::binary);
		scout::secret_key sk;
		if (!in.read(reinterpret_cast<char*>(sk.data()), sk.size()))
			throw std::runtime_error("cannot read a 32-byte key from " + filename);
		return sk;
	}

	scout::list_head load_head(std::string const& filename)
	{
		std::ifstream in(filename);
		std::string text;
		scout::hash h;
		if (!(in >> text)) return scout::list_head();
		if (!from_hex(text, h)) throw std::runtime_error(filename + " does not hold a list head");
		return scout::list_head::parse(h);
	}
}

int main(int argc, char const* argv[])
{
	if (argc < 2) usage();
	std::string const command = argv[1];

	try
	{
		if (command == "gen-key")
		{
			if (argc < 3) usage();
			auto key = scout::generate_keypair();
			std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
			out.write(reinterpret_cast<char const*>(key.first.data()), key.first.size());
			if (!out) throw std::runtime_error(std::string("cannot write ") + argv[2]);
			std::cout << "Public key: " << to_hex(key.second) << std::endl;
			return 0;
		}
		if (command == "dump-key")
		{
			if (argc < 3) usage();
			std::cout << "Public key: " << to_hex(scout::derive_public_key(load_key(argv[2]))) << std::endl;
			return 0;
		}
	}
	catch (std::exception const& e)
	{
		std::cerr << e.what() << std::endl;
		return 1;
	}

	scout::dht_session ses;
	if (ses.start() != 0)
	{
		std::cerr << "failed to start the DHT node: " << ses.start_status().message << std::endl;
		return 2;
	}
	completion op;

	try
	{
		if (command == "sync")
		{
			if (argc < 6) usage();
			scout::secret_key sk = load_key(argv[2]);
			scout::public_key peer;
			if (!from_hex(argv[3], peer)) usage();
			scout::secret_key shared_secret = scout::key_exchange(sk, peer);
			std::uint32_t const id = std::uint32_t(std::stoul(argv[4]));
			std::string const value = argv[5];
			gsl::span<gsl::byte const> const value_bytes = bytes_of(value);
			std::vector<gsl::byte> const content(value_bytes.begin(), value_bytes.end());

			scout::entry mine(id);
			mine.assign(content);
			std::vector<scout::entry> entries;
			entries.push_back(mine);
			ses.synchronize(shared_secret, std::move(entries)
				, [](scout::entry const& e)
				{
					std::cerr << "updated: entry " << e.id() << " (seq " << e.seq() << ")\n";
				}
				, [=](std::vector<scout::entry>& merged)
				{
					for (scout::entry& e : merged)
					{
						// ours may have lost to an older peer's copy: set it again
						if (e.id() == id && e.value() != content) e.assign(content);
						std::cout << e.id() << ' ' << e.seq() << ' ' << text_of(e.value()) << '\n';
					}
				}
				, [&]() { op.signal(); });
		}
		else if (command == "put")
		{
			if (argc < 3) usage();
			std::string const message = argv[2];
			scout::list_head head = argc > 3 ? load_head(argv[3]) : scout::list_head();
			scout::list_token token = head.push_front(bytes_of(message));
			ses.put(token, bytes_of(message), [&]() { op.signal(); });
			op.wait();
			std::cout << "inserted message with hash " << to_hex(head.head()) << std::endl;
			if (argc > 3)
			{
				scout::hash h;
				head.serialize(h);
				std::ofstream(argv[3], std::ios::trunc) << to_hex(h) << '\n';
			}
			return 0;
		}
		else if (command == "get")
		{
			if (argc < 3) usage();
			scout::hash address;
			if (!from_hex(argv[2], address)) usage();
			ses.get(address, [&](std::vector<gsl::byte> contents, scout::hash const& next_hash)
			{
				if (contents.empty()) std::cout << "No message found\n";
				else std::cout << "Got message: " << text_of(contents) << '\n';
				std::cout << "Next hash: " << to_hex(next_hash) << '\n';
				op.signal();
			});
		}
		else
		{
			usage();
		}
	}
	catch (std::exception const& e)
	{
		std::cerr << e.what() << std::endl;
		return 1;
	}

	op.wait();
	return 0;
}
