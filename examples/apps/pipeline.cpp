// A CPU+IO pipeline: read files, hash and compress them on other cores,
// write the results, with bounded queues between the stages.
//
//     pipeline <input-dir> <output-dir> [--workers N] [--processes | --mpi]
//     mpirun -np 3 pipeline <input-dir> <output-dir> --mpi
//
//   read (1 task)  --Queue(4)-->  digest (N tasks)  --Queue(4)-->  write (1 task)
//     to_thread        SHA-256 + deflate on to_thread,    to_thread
//     file reads       a ProcessPoolExecutor or the       file writes
//                      MPI job's other ranks (MpiExecutor)
//
// Every file becomes <output-dir>/<name>.z (zlib) and a line of
// <output-dir>/MANIFEST ("<sha256>  <name>  <size>  <compressed size>"); a
// progress line is printed as each file is written, and a summary at the end.
//
// What it shows:
//  - Blocking work leaves the loops: file IO on the blocking pool (to_thread),
//    CPU-bound digests on the pool or, with --processes, in worker processes
//    (ProcessPoolExecutor; this executable is the worker, see main()) or,
//    with --mpi, on the other ranks of an MPI job (MpiExecutor: rank 0 runs
//    the pipeline, the other ranks only digest; docs/scaling.md has the
//    figures).
//  - Bounded queues give back-pressure: the reader cannot run ahead of the
//    digesters by more than four files, so memory stays bounded whatever the
//    input size.
//  - Queue::shutdown() (Python 3.13) ends a stage: the reader shuts its
//    output queue when it has read everything; each consumer drains what is
//    queued and then gets QueueShutDown.
//  - One TaskGroup holds the stages: if any stage fails (an unreadable file,
//    a full disk), the others are cancelled and main gets every error in one
//    ExceptionGroup.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>
#include <zlib.h>

#include <coreio/coreio.hpp>
#include <coreio/sync/queue.hpp>
#include <fmt/core.h>

#include "common/shape.hpp"

#if PIPELINE_WITH_MPI
#include <coreio/mpi/mpi_executor.hpp>
#endif

namespace fs = std::filesystem;

// ---- the CPU stage: a plain function, so it can run in another process ----

struct Digest {
  std::string sha256;     // hex
  std::string compressed; // zlib stream
  template <class Archive>
  void serialize(Archive& ar) {
    ar(sha256, compressed);
  }
};

Digest digest(std::string data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (!EVP_Digest(data.data(), data.size(), md, &md_len, EVP_sha256(), nullptr))
    throw std::runtime_error("SHA-256 failed");
  Digest d;
  for (unsigned int i = 0; i < md_len; ++i) d.sha256 += fmt::format("{:02x}", md[i]);

  uLongf size = compressBound(static_cast<uLong>(data.size()));
  d.compressed.resize(size);
  if (compress2(reinterpret_cast<Bytef*>(d.compressed.data()), &size, reinterpret_cast<const Bytef*>(data.data()),
                static_cast<uLong>(data.size()), Z_BEST_COMPRESSION) != Z_OK)
    throw std::runtime_error("deflate failed");
  d.compressed.resize(size);
  return d;
}
COREIO_REGISTER_PROCESS_FUNCTION(digest);

// ---- blocking file IO, for the blocking pool ----

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

// ---- the pipeline ----

struct Options {
  fs::path input;
  fs::path output;
  int workers = 4;
  bool processes = false;
  bool mpi = false;
};

struct Loaded {
  std::string name;
  std::string bytes;
};

struct Digested {
  std::string name;
  std::size_t size;
  Digest digest;
};

class Pipeline {
public:
  explicit Pipeline(Options opts) : opts_(std::move(opts)) {
    for (const auto& entry : fs::directory_iterator(opts_.input))
      if (entry.is_regular_file()) names_.push_back(entry.path().filename().string());
    std::sort(names_.begin(), names_.end());
    fs::create_directories(opts_.output);
  }

  void run() {
    if (opts_.processes) pool_.emplace(static_cast<std::size_t>(opts_.workers));
#if PIPELINE_WITH_MPI
    if (opts_.mpi) mpi_.emplace();
#endif
    coreio::task_group([&](coreio::TaskGroup& tg) {
      tg.create_task([this] { read_stage(); });
      tg.create_task([this] {
        coreio::task_group([&](coreio::TaskGroup& digesters) {
          for (int i = 0; i < opts_.workers; ++i) digesters.create_task([this] { digest_stage(); });
        });
        digested_.shutdown(); // every digester is done: the writer drains and stops
      });
      tg.create_task([this] { write_stage(); });
    });
    write_manifest();
    fmt::print("done: {} files, {} bytes in, {} bytes out\n", names_.size(), bytes_in_, bytes_out_);
  }

private:
  void read_stage() {
    for (const auto& name : names_) {
      std::string bytes = coreio::to_thread(read_file, opts_.input / name);
      loaded_.put(Loaded{name, std::move(bytes)}); // waits while four files are queued
    }
    loaded_.shutdown(); // no more input: the digesters stop once the queue is empty
  }

  /// The CPU stage, wherever the options put it.
  Digest compute(std::string bytes) {
    auto& loop = coreio::get_running_loop();
    if (pool_) return loop.run_in_executor(&*pool_, digest, std::move(bytes)).get();
#if PIPELINE_WITH_MPI
    if (mpi_) return loop.run_in_executor(&*mpi_, digest, std::move(bytes)).get();
#endif
    return coreio::to_thread(digest, std::move(bytes));
  }

  void digest_stage() {
    while (true) {
      Loaded file;
      try {
        file = loaded_.get();
      } catch (const coreio::QueueShutDown&) {
        return;
      }
      const std::size_t size = file.bytes.size();
      Digest d = compute(std::move(file.bytes));
      digested_.put(Digested{std::move(file.name), size, std::move(d)});
    }
  }

  void write_stage() {
    std::size_t written = 0;
    while (true) {
      Digested item;
      try {
        item = digested_.get();
      } catch (const coreio::QueueShutDown&) {
        return;
      }
      coreio::to_thread(write_file, opts_.output / (item.name + ".z"), item.digest.compressed);
      ++written;
      bytes_in_ += item.size;
      bytes_out_ += item.digest.compressed.size();
      fmt::print("[{}/{}] {} {} -> {} bytes sha256 {}\n", written, names_.size(), item.name, item.size,
                 item.digest.compressed.size(), item.digest.sha256.substr(0, 16));
      manifest_.push_back({item.name, item.digest.sha256, item.size, item.digest.compressed.size()});
    }
  }

  void write_manifest() {
    std::sort(manifest_.begin(), manifest_.end(),
              [](const ManifestEntry& a, const ManifestEntry& b) { return a.name < b.name; });
    std::string text;
    for (const auto& e : manifest_) text += fmt::format("{}  {}  {}  {}\n", e.sha256, e.name, e.size, e.compressed_size);
    coreio::to_thread(write_file, opts_.output / "MANIFEST", text);
  }

  Options opts_;
  std::optional<coreio::ProcessPoolExecutor> pool_;
#if PIPELINE_WITH_MPI
  std::optional<coreio::MpiExecutor> mpi_;
#endif
  std::vector<std::string> names_;
  coreio::Queue<Loaded> loaded_{4};
  coreio::Queue<Digested> digested_{4};
  struct ManifestEntry {
    std::string name;
    std::string sha256;
    std::size_t size;
    std::size_t compressed_size;
  };
  // Written by the one writer task only (and read after it ended).
  std::vector<ManifestEntry> manifest_;
  std::size_t bytes_in_ = 0;
  std::size_t bytes_out_ = 0;
};

/// Prints every error of a (possibly nested) ExceptionGroup.
void report(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const coreio::ExceptionGroup& group) {
    for (const auto& inner : group.exceptions()) report(inner);
  } catch (const std::exception& ex) {
    std::cerr << "pipeline: " << ex.what() << "\n";
  }
}

int main(int argc, char** argv) {
  if (coreio::process_worker_main(argc, argv)) return 0; // a ProcessPoolExecutor worker
  const bool mpi = std::find(argv + 1, argv + argc, std::string_view("--mpi")) != argv + argc;
#if PIPELINE_WITH_MPI
  // Every rank gets the same arguments: all of them see --mpi. Ranks 1..n-1
  // serve digest() calls here until rank 0 is done.
  if (mpi && coreio::mpi_worker_main(argc, argv)) return 0;
#else
  if (mpi) {
    std::cerr << "pipeline: built without MPI (configure with an MPI installed and COREIO_WITH_MPI=ON)\n";
    return 2;
  }
#endif

  Options opts;
  opts.mpi = mpi;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--workers" && i + 1 < args.size()) opts.workers = std::max(1, std::stoi(args[++i]));
    else if (args[i] == "--processes") opts.processes = true;
    else if (args[i] == "--mpi") continue;
    else positional.push_back(args[i]);
  }
  if (positional.size() != 2) {
    std::cerr << "usage: pipeline <input-dir> <output-dir> [--workers N] [--processes | --mpi]\n";
    return 2;
  }
  opts.input = positional[0];
  opts.output = positional[1];

  try {
    coreio::run([&] { Pipeline(opts).run(); }, examples::shape());
  } catch (const std::exception&) {
    report(std::current_exception());
    return 1;
  }
}
