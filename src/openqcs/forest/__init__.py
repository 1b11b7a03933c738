"""The local Forest tools: a quilc-compatible compiler over rpcq (``quilc/``) and a
QVM-compatible simulator over HTTP (``qvm/``), started by ``openqcs serve`` on pyquil's
default ports so that pyquil's defaults reach them with no configuration."""
