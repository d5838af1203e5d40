/* nn-train — the suite's offline companion: `encode` runs Magenta's pipeline for one encoding on
 * a MIDI file and prints what the model sees; `data` turns folders of MIDI files into a dataset.
 *
 * Copyright 2026 The magenta-lv2 authors. GPL-3.0-or-later.
 */
#include "nn-train.h"

#include <string.h>

void nn_train_usage(FILE *to)
{
    fputs("usage: nn-train encode --encoding NAME [--vectors] [--no-infer-chords] FILE.mid\n"
          "       nn-train data --encoding NAME --out FILE.nnd [--eval-percent P] [--transpose LO:HI]\n"
          "                     [--dedupe-mb MB] [--jobs N] [--no-infer-chords] FOLDER...\n"
          "       nn-train baseline --data FILE.nnd [--order N] [--json]\n"
          "       nn-train generate --model FILE.nnm --out FILE.mid [--steps N] [--temperature T] [--seed N]\n"
          "                         [--primer FILE.mid] [--qpm Q] [--chords \"C G Am F\"]\n"
          "       nn-train genie --data FILE.nnd --out FILE.nnm [options]   (Piano Genie; genie --help)\n"
          "       nn-train import DIR --out FILE.nnm [--config NAME] [--attn-length N] [--f16] [--magenta-js]\n"
          "\n"
          "Runs Magenta's data pipeline for one encoding on a MIDI file and prints one step per\n"
          "line: the step, the event, its class index, and with --vectors the model's input\n"
          "vector at that step (the input at step i is what predicts the class at step i+1).\n"
          "\n"
          "encodings (Magenta's configurations):\n"
          "  basic_rnn, mono_rnn, lookback_rnn, attention_rnn   Melody RNN (4 steps per quarter)\n"
          "  drum_kit                                           Drums RNN (4 steps per quarter)\n"
          "  performance, performance_with_dynamics             Performance RNN (100 steps/s)\n"
          "  piano_genie                                        Piano Genie's keys and time bins\n"
          "  basic_improv, attention_improv, chord_pitches_improv\n"
          "                                                     Improv RNN: melody given chords\n"
          "\n"
          "data walks the folders for *.mid and *.midi, splits each file as Magenta's pipeline does\n"
          "(on tempo and time-signature changes; Performance RNN every 30 s), extracts, de-duplicates\n"
          "and writes each sequence's one-hot classes to FILE.nnd (format: tools/DATASET.md). A file\n"
          "goes to eval (default 10%) by a hash of its path below the folder. Training data is\n"
          "transposed as Magenta does (performance: -3..3; others: none) unless --transpose.\n"
          "Improv: chord symbols come from FILE.chords beside FILE.mid when there is one, else are\n"
          "inferred (note_seq's chord_inference; --no-infer-chords skips such files instead); every\n"
          "lead sheet is written in all 12 keys (-6..5), evaluation ones too, as Magenta does.\n"
          "\n"
          "baseline fits interpolated Kneser-Ney n-gram models of orders 1..N (default 5) to the\n"
          "training records' label sequences and prints each one's evaluation NLL (nats per step),\n"
          "accuracy and perplexity: the score a trained model should beat.\n"
          "\n"
          "generate continues a primer with a melody, drums or improv model (its `encoding`), as\n"
          "Magenta's *_rnn_generate do: the first melody of --primer (drums: its channel-10 notes, or\n"
          "every note), quantized at 4 steps per quarter, else a middle C (drums: a bass drum); then\n"
          "samples at --temperature (default 1; 0: always the most likely event) from --seed\n"
          "(default 1) until the piece is --steps sixteenths long (default 128, primer included), and\n"
          "writes it at --qpm (default 120; a primer's own tempo wins). Improv: --chords, one per bar,\n"
          "repeated (default \"C G Am F C G F C\"), also played as block chords on channel 2. The same\n"
          "model, options and seed give the same file.\n"
          "\n"
          "import converts a Magenta.js checkpoint folder (weights_manifest.json and its shards:\n"
          "float32, float16, quantised uint8/uint16/float16) into an event_rnn model file: MusicRNN\n"
          "(basic_rnn, melody_rnn, drum_kit_rnn, chord_pitches_improv; attention on the first cell\n"
          "or around the whole stack) or Piano Genie's decoder. The configuration comes from\n"
          "--config, else the folder's config.json, else the tensors' sizes; --attn-length when the\n"
          "folder does not say it. --f16 stores the weight matrices as float16. The attention query\n"
          "keeps its bias, as TensorFlow (which trained the checkpoints) computes it; --magenta-js\n"
          "drops it, as Magenta.js does. The file is written atomically, and only once the engine\n"
          "has loaded it.\n",
          to);
}


int main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        nn_train_usage(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "encode"))
        return command_encode(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "data"))
        return command_data(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "baseline"))
        return command_baseline(argc - 2, argv + 2);
    if (argc >= 2 && (!strcmp(argv[1], "melody") || !strcmp(argv[1], "drums") || !strcmp(argv[1], "improv") ||
                       !strcmp(argv[1], "performance")))
        return command_train(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "genie"))
        return command_genie(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "generate"))
        return command_generate(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "import"))
        return command_import(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "bench"))
        return command_bench(argc - 1, argv + 1);
    nn_train_usage(stderr);
    return 2;
}
