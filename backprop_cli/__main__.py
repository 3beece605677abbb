from backprop_cli._entry import run

run()
