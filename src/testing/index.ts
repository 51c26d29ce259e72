// Offline test support: the Assistants emulator (filled in by the emulator work).
export {};
