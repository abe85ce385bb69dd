// Runs the warp-specialised GEMM's mbarrier protocol (src/cuda/gemm/ws_pipeline.h, as wg_ws_gemm.cuh
// uses it) on the host under random interleavings: 128 producer threads (thread 0 announcing and
// issuing the TMA boxes), their asynchronous TMA pieces, cp.async chunks and cp.async arrivals, and 8
// consumer warps following the kernel's half-tile (FP8) and in-flight (W8A8) steps, with wgmma reads
// that land at any time before the wait that covers them; and the clustered form: two such blocks,
// each multicasting half of the activation rows into both and releasing slots to both. Barriers follow PTX's rules (a phase
// completes when its pending arrivals and transaction bytes are both zero — bytes may land before
// they are announced, the count going negative meanwhile; a wait for parity p returns once the phase
// of that parity has completed). Checks: every run finishes (no deadlock, no arrival beyond a phase's
// count), every arrival and byte of stage kt reaches its barrier in stage kt's phase, and every read
// of stage kt — weight fragments, wgmma's activation reads, scale words — finds stage kt in every
// byte it reads.
//
// What it cannot check is whether the hardware behaves as this model says; it checks that the
// kernel's slot, parity and release arithmetic is right under that model.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

#include "../src/cuda/gemm/ws_pipeline.h"

using namespace lb::cuda_wg;

namespace {

int failures = 0;
char config[96] = "";  // the run in progress, for the messages

void fail(const char *what, int a, int b, int c) {
  if (failures++ < 20) std::printf("FAIL %s (%d, %d, %d) in %s\n", what, a, b, c, config);
}

struct Barrier {
  int count = 0, pending = 0, tx = 0, completed = 0;  // completed: phases done so far
  void init(int n) { count = pending = n; }
  void maybe_complete() {
    if (pending == 0 && tx == 0) {
      ++completed;
      pending = count;
    }
  }
  // `phase`: the phase the arrival or bytes belong to (the slot's use: kt / kWsStages).
  void check_phase(int phase, const char *what) {
    if (phase != completed) fail(what, phase, completed, 0);
  }
  void arrive(int phase, const char *name) {
    check_phase(phase, "arrival in another stage's phase");
    if (pending <= 0) fail(name, completed, pending, 0);
    --pending;
    maybe_complete();
  }
  void expect_tx(int bytes) { tx += bytes; }
  void complete_tx(int phase, int bytes) {
    check_phase(phase, "bytes landing in another stage's phase");
    tx -= bytes;
    maybe_complete();
  }
  // try_wait.parity p: true once the phase with parity p is the last completed one (or an earlier).
  bool passed(uint32_t parity) const { return (static_cast<uint32_t>(completed) & 1u) != parity; }
};

// What a slot holds: the stage number each piece was last written with (-1: never). The activation
// pieces are split evenly between the cluster's blocks (each multicasts its half).
constexpr int kXPieces = 4, kWPieces = kWsProducerThreads, kScalePieces = 4;
constexpr int kXBytes = 16384, kWBytes = 16384;
struct Slot {
  std::vector<int> x = std::vector<int>(kXPieces, -1), w = std::vector<int>(kWPieces, -1), scales = std::vector<int>(kScalePieces, -1);
};

// One thread block's barriers, slots and per-thread / per-warp state.
struct Block {
  Barrier full[kWsStages], empty[kWsStages];
  Slot slot[kWsStages];
  std::vector<std::vector<bool>> landed = std::vector<std::vector<bool>>(kWsProducerThreads);  // a thread's cp.async chunks, in issue order
  std::vector<int> arrivals_issued = std::vector<int>(kWsProducerThreads, 0), arrivals_done = std::vector<int>(kWsProducerThreads, 0);
  std::vector<int> wgmma_issued = std::vector<int>(kWsConsumerWarps, 0), wgmma_done = std::vector<int>(kWsConsumerWarps, 0);  // a warp's groups
};

struct Sim {
  bool tma_weights, halves, block_scales;
  int kt_count, blocks;
  std::mt19937 &rng;
  std::vector<Block> block;
  // Asynchronous work: runnable when `ready` says so; `run` does it.
  struct Event {
    std::function<bool()> ready;
    std::function<void()> run;
  };
  std::vector<Event> events;
  // Agents: programs of blocking steps (each returns false while blocked).
  struct Agent {
    std::vector<std::function<bool()>> steps;
    size_t pc = 0;
  };
  std::vector<Agent> agents;

  Sim(bool tma_w, bool h, bool bs, int k, int b, std::mt19937 &r)
      : tma_weights(tma_w), halves(h), block_scales(bs), kt_count(k), blocks(b), rng(r), block(static_cast<size_t>(b)) {
    for (Block &bl : block)
      for (int s = 0; s < kWsStages; ++s) {
        bl.full[s].init(kWsFullArrivals);
        bl.empty[s].init(ws_empty_arrivals(blocks));
      }
    for (int bi = 0; bi < blocks; ++bi) {
      for (int pt = 0; pt < kWsProducerThreads; ++pt) agents.push_back(producer(bi, pt));
      for (int w = 0; w < kWsConsumerWarps; ++w) agents.push_back(consumer(bi, w));
    }
  }

  void check_pieces(const std::vector<int> &pieces, int kt, const char *what) {
    for (size_t i = 0; i < pieces.size(); ++i)
      if (pieces[i] != kt) fail(what, kt, static_cast<int>(i), pieces[i]);
  }

  Agent producer(int bi, int pt) {
    Agent a;
    Block &me = block[static_cast<size_t>(bi)];
    for (int kt = 0; kt < kt_count; ++kt) {
      a.steps.push_back([&me, kt] { return me.empty[ws_slot(kt)].passed(ws_empty_parity(kt)); });
      a.steps.push_back([this, &me, bi, kt, pt] {
        const int s = ws_slot(kt), phase = kt / kWsStages;
        if (pt == 0) {  // arrive.expect_tx, then the boxes, each landing in pieces at any later time
          me.full[s].expect_tx(kXBytes + (tma_weights ? kWBytes : 0));
          me.full[s].arrive(phase, "full: arrival beyond the phase's count");
          // This block's share of the activation rows, into every block of the cluster.
          const int per_block = kXPieces / blocks;
          for (int i = bi * per_block; i < (bi + 1) * per_block; ++i)
            for (Block &dst : block)
              events.push_back({[] { return true; }, [&dst, s, kt, i, phase] {
                                  dst.slot[s].x[i] = kt;
                                  dst.full[s].complete_tx(phase, kXBytes / kXPieces);
                                }});
          if (tma_weights)
            for (int i = 0; i < kWPieces; ++i)
              events.push_back({[] { return true; }, [&me, s, kt, i, phase] {
                                  me.slot[s].w[i] = kt;
                                  me.full[s].complete_tx(phase, kWBytes / kWPieces);
                                }});
        }
        // This thread's cp.async chunks: its weight chunk (W8A8), its scale words (FP8 BLOCK).
        auto copy = [this, &me, pt](int &piece, int kt_) {
          const size_t c = me.landed[pt].size();
          me.landed[pt].push_back(false);
          events.push_back({[] { return true; }, [&me, pt, &piece, kt_, c] {
                              piece = kt_;
                              me.landed[pt][c] = true;
                            }});
        };
        if (!tma_weights) copy(me.slot[s].w[pt], kt);
        if (block_scales && pt < kScalePieces) copy(me.slot[s].scales[pt], kt);
        // cp.async.mbarrier.arrive.noinc: arrives once every chunk this thread issued before it has landed
        // (a thread's arrivals fire in order).
        const size_t before = me.landed[pt].size();
        const int mark = ++me.arrivals_issued[pt];
        events.push_back({[&me, pt, before, mark] {
                            if (me.arrivals_done[pt] != mark - 1) return false;
                            for (size_t c = 0; c < before; ++c)
                              if (!me.landed[pt][c]) return false;
                            return true;
                          },
                          [&me, s, pt, phase] {
                            ++me.arrivals_done[pt];
                            me.full[s].arrive(phase, "full: arrival beyond the phase's count");
                          }});
        return true;
      });
    }
    return a;
  }

  Agent consumer(int bi, int w) {
    Agent a;
    Block &me = block[static_cast<size_t>(bi)];
    auto wait_full = [&me](int kt) { return [&me, kt] { return me.full[ws_slot(kt)].passed(ws_full_parity(kt)); }; };
    auto fragments = [this, &me](int kt) {
      return [this, &me, kt] {
        check_pieces(me.slot[ws_slot(kt)].w, kt, "weight fragments read another stage");
        return true;
      };
    };
    // A wgmma group of stage kt: reads the activation pieces at any time before the wait covering it;
    // a warp's groups complete in the order they were committed (wgmma.wait_group N: all but the N
    // most recent are complete).
    auto issue = [this, &me, w](int kt) {
      return [this, &me, w, kt] {
        const int group = me.wgmma_issued[w]++;
        events.push_back({[&me, w, group] { return me.wgmma_done[w] == group; }, [this, &me, w, kt] {
                            check_pieces(me.slot[ws_slot(kt)].x, kt, "wgmma read another stage's activations");
                            ++me.wgmma_done[w];
                          }});
        return true;
      };
    };
    auto wgmma_wait = [&me, w](int n) { return [&me, w, n] { return me.wgmma_issued[w] - me.wgmma_done[w] <= n; }; };
    // The kernel's release: this block's empty barrier and, in a cluster, the peer's.
    auto release = [this](int kt) {
      return [this, kt] {
        if (kt >= 0)
          for (Block &dst : block) dst.empty[ws_slot(kt)].arrive(kt / kWsStages, "empty: arrival beyond the phase's count");
        return true;
      };
    };
    a.steps.push_back(wait_full(0));
    a.steps.push_back(fragments(0));
    for (int j = 0; j < kt_count; ++j) {
      if (halves) {  // wg_ws_gemm.cuh's half_step
        a.steps.push_back(issue(j));
        a.steps.push_back(issue(j));
        if (j + 1 < kt_count) {
          a.steps.push_back(wait_full(j + 1));
          a.steps.push_back(fragments(j + 1));
        }
        a.steps.push_back(wgmma_wait(1));
        a.steps.push_back(wgmma_wait(0));
        if (block_scales)
          a.steps.push_back([this, &me, j] {
            check_pieces(me.slot[ws_slot(j)].scales, j, "fold read another stage's scales");
            return true;
          });
        a.steps.push_back(release(ws_release_in_step(j, true)));
      } else {  // in_flight_step
        a.steps.push_back(issue(j));
        a.steps.push_back(wgmma_wait(1));
        a.steps.push_back(release(ws_release_in_step(j, false)));
        if (j + 1 < kt_count) {
          a.steps.push_back(wait_full(j + 1));
          a.steps.push_back(fragments(j + 1));
        }
      }
    }
    a.steps.push_back(wgmma_wait(0));
    return a;
  }

  // Random interleaving until everything is done; false on deadlock.
  bool run() {
    for (;;) {
      std::vector<int> choices;  // agents >= 0, events as -1 - index
      for (size_t i = 0; i < agents.size(); ++i)
        if (agents[i].pc < agents[i].steps.size()) choices.push_back(static_cast<int>(i));
      for (size_t e = 0; e < events.size(); ++e)
        if (events[e].ready()) choices.push_back(-1 - static_cast<int>(e));
      if (choices.empty()) return events.empty();  // every agent done; pending events that can never run: stuck
      std::shuffle(choices.begin(), choices.end(), rng);
      bool progressed = false;
      for (int c : choices) {
        if (c >= 0) {
          Agent &a = agents[c];
          if (a.steps[a.pc]()) {
            ++a.pc;
            progressed = true;
            break;
          }
        } else {
          const size_t e = static_cast<size_t>(-1 - c);
          Event ev = events[e];
          events.erase(events.begin() + static_cast<long>(e));
          ev.run();
          progressed = true;
          break;
        }
      }
      if (!progressed) return false;  // every agent blocked, no event can land
    }
  }
};

}  // namespace

int main() {
  std::mt19937 rng(11);
  struct Mode {
    const char *name;
    bool tma_weights, halves, block_scales;
  };
  const Mode modes[] = {{"fp8 row/tensor", true, true, false}, {"fp8 block", true, true, true}, {"w8a8", false, false, false}};
  for (int blocks : {1, 2})
    for (const Mode &m : modes)
      for (int kt_count : {1, 2, 4, 5, 6, 9, 11, 16})
        for (int round = 0; round < 6; ++round) {
          std::snprintf(config, sizeof config, "%s, %d block(s), %d stages, round %d", m.name, blocks, kt_count, round);
          Sim sim(m.tma_weights, m.halves, m.block_scales, kt_count, blocks, rng);
          if (!sim.run()) fail(m.name, blocks, kt_count, round);
        }
  if (failures) {
    std::printf("ws_pipeline_test: %d failures\n", failures);
    return 1;
  }
  std::printf("ws_pipeline_test: ok\n");
  return 0;
}
