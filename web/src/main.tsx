import { render } from "preact";
// First: the base styles, which each screen's own stylesheet (imported by the screen) builds on and overrides.
import "./styles.css";
import { App } from "./app";

render(<App />, document.getElementById("app") as HTMLElement);
