"""Qt-free OCPI wire rules, the handshake state machines and their async driver."""
