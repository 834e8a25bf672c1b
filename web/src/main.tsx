import { render } from "preact";
import { App } from "./App";
import { restore } from "./auth";
import "./styles.css";

const root = document.getElementById("app");
if (root) render(<App />, root);
// A reload keeps one logged in: the refresh cookie brings a new access token (ADR 0022).
void restore();
